package io.jistiod.galley.validation;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.extensions.v1alpha1.LuaConfig;
import io.jistiod.galley.api.extensions.v1alpha1.TrafficExtension;
import io.jistiod.galley.api.networking.v1alpha3.HTTPBody;
import io.jistiod.galley.api.networking.v1alpha3.HTTPDirectResponse;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigKind;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.IstioKinds;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The dispatcher, and rules whose cases are too large for the YAML corpus. */
class ValidatorsTest {

  @Test
  void everyKindHasRules() {
    for (ConfigKind kind : IstioKinds.ALL) {
      assertThat(Validators.forKind(kind)).as(kind.kind()).isNotSameAs(ConfigValidator.NONE);
    }
  }

  @Test
  void networkingValidatorsDelegates() {
    assertThat(NetworkingValidators.forKinds()).isSameAs(Validators.forKinds());
  }

  private static List<ValidationMessage> directResponse(int bodyBytes) {
    VirtualService vs =
        VirtualService.newBuilder()
            .addHosts("reviews")
            .addHttp(
                HTTPRoute.newBuilder()
                    .setDirectResponse(
                        HTTPDirectResponse.newBuilder()
                            .setStatus(200)
                            .setBody(HTTPBody.newBuilder().setString("x".repeat(bodyBytes)))))
            .build();
    ConfigMeta meta =
        new ConfigMeta(IstioKinds.VIRTUAL_SERVICE, "big", "default", Map.of(), Map.of(), "", 0);
    return Validators.forKinds().validate(new Config(meta, vs));
  }

  @Test
  void directResponseBodiesAreLimited() {
    assertThat(directResponse(100 * 1024)).isEmpty();
    assertThat(directResponse(100 * 1024 + 1))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.isError()).isFalse();
              assertThat(m.field()).isEqualTo("spec.http[0].directResponse.body");
            });
    assertThat(directResponse(1024 * 1024 + 1))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.isError()).isTrue();
              assertThat(m.message()).contains("smaller than 1MB");
            });
  }

  private static List<ValidationMessage> lua(String code) {
    TrafficExtension t =
        TrafficExtension.newBuilder().setLua(LuaConfig.newBuilder().setInlineCode(code)).build();
    ConfigMeta meta =
        new ConfigMeta(IstioKinds.TRAFFIC_EXTENSION, "lua", "default", Map.of(), Map.of(), "", 0);
    return Validators.forKinds().validate(new Config(meta, t));
  }

  @Test
  void trafficExtensionLuaIsAtMost64KiBOfUtf8() {
    assertThat(lua("-".repeat(65536))).isEmpty();
    assertThat(lua("-".repeat(65537)))
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.isError()).isTrue();
              assertThat(m.field()).isEqualTo("spec.lua.inlineCode");
              assertThat(m.message()).contains("larger than 64KB").contains("65537 bytes");
            });
    // Istio counts bytes, not characters: 32769 two-byte characters are 65538 bytes.
    assertThat(lua("\u00e9".repeat(32768))).isEmpty();
    assertThat(lua("\u00e9".repeat(32769))).singleElement().matches(ValidationMessage::isError);
  }
}
