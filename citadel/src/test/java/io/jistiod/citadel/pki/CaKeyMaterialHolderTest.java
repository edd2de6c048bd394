package io.jistiod.citadel.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.citadel.testing.TestPki;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CaKeyMaterialHolderTest {
  @Test
  void listenersHearOfEachChangeOnceAndOfTheCurrentMaterialAtOnce() {
    CaKeyMaterial first = TestPki.selfSignedRoot();
    CaKeyMaterial second = TestPki.selfSignedRoot();
    CaKeyMaterialHolder holder = new CaKeyMaterialHolder(first);
    List<CaKeyMaterial> heard = new ArrayList<>();

    holder.addListener(heard::add);
    holder.set(first);
    holder.set(second);

    assertThat(heard).containsExactly(first, second);
    assertThat(holder.current()).contains(second);
  }

  @Test
  void aFailingListenerDoesNotStopTheOthers() {
    CaKeyMaterialHolder holder = new CaKeyMaterialHolder();
    List<CaKeyMaterial> heard = new ArrayList<>();
    holder.addListener(
        m -> {
          throw new IllegalStateException("broken");
        });
    holder.addListener(heard::add);

    CaKeyMaterial material = TestPki.selfSignedRoot();
    holder.set(material);

    assertThat(heard).containsExactly(material);
  }

  @Test
  void removedListenersHearNothing() {
    CaKeyMaterialHolder holder = new CaKeyMaterialHolder();
    List<CaKeyMaterial> heard = new ArrayList<>();
    java.util.function.Consumer<CaKeyMaterial> listener = heard::add;
    holder.addListener(listener);
    holder.removeListener(listener);
    holder.set(TestPki.selfSignedRoot());
    assertThat(heard).isEmpty();
  }
}
