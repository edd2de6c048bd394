package io.jistiod.pilot.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ExportToTest {
  private static final List<String> NO_DEFAULT = List.of();

  @Test
  void starIsEveryNamespace() {
    ExportTo e = ExportTo.of(List.of("*"), NO_DEFAULT);
    assertThat(e.visibleTo("a", "a")).isTrue();
    assertThat(e.visibleTo("a", "b")).isTrue();
    assertThat(e.isPublic()).isTrue();
  }

  @Test
  void dotIsTheOwnersNamespaceOnly() {
    ExportTo e = ExportTo.of(List.of("."), NO_DEFAULT);
    assertThat(e.visibleTo("a", "a")).isTrue();
    assertThat(e.visibleTo("a", "b")).isFalse();
    assertThat(e.onlyOwnNamespace("a")).isTrue();
    assertThat(e.exportedByNameTo("a")).isFalse();
  }

  @Test
  void tildeIsNobodyNotEvenTheOwner() {
    ExportTo e = ExportTo.of(List.of("~"), NO_DEFAULT);
    assertThat(e.visibleTo("a", "a")).isFalse();
    assertThat(e.visibleTo("a", "b")).isFalse();
    // names next to "~" are ignored, as istiod does; "*" still wins
    assertThat(ExportTo.of(List.of("~", "b"), NO_DEFAULT).visibleTo("a", "b")).isFalse();
    assertThat(ExportTo.of(List.of("~", "*"), NO_DEFAULT).visibleTo("a", "b")).isTrue();
  }

  @Test
  void namedNamespacesSeeItAndTheOwnerOnlyWhenNamed() {
    ExportTo e = ExportTo.of(List.of("b", "c"), NO_DEFAULT);
    assertThat(e.visibleTo("a", "b")).isTrue();
    assertThat(e.visibleTo("a", "c")).isTrue();
    assertThat(e.visibleTo("a", "a")).isFalse();
    assertThat(e.visibleTo("a", "d")).isFalse();
    assertThat(e.exportedByNameTo("b")).isTrue();

    ExportTo withOwn = ExportTo.of(List.of(".", "b"), NO_DEFAULT);
    assertThat(withOwn.visibleTo("a", "a")).isTrue();
    assertThat(withOwn.visibleTo("a", "b")).isTrue();
    assertThat(withOwn.onlyOwnNamespace("a")).isFalse();
    assertThat(ExportTo.of(List.of("a"), NO_DEFAULT).onlyOwnNamespace("a")).isTrue();
  }

  @Test
  void withoutExportToTheMeshDefaultApplies() {
    assertThat(ExportTo.of(List.of(), List.of(".")).visibleTo("a", "b")).isFalse();
    assertThat(ExportTo.of(List.of(), List.of(".")).visibleTo("a", "a")).isTrue();
    assertThat(ExportTo.of(List.of(), List.of("*")).visibleTo("a", "b")).isTrue();
    // "." first in a default, as istiod reads it; no default at all means everyone
    assertThat(ExportTo.of(List.of(), List.of("*", ".")).visibleTo("a", "b")).isFalse();
    assertThat(ExportTo.of(List.of(), NO_DEFAULT).visibleTo("a", "b")).isTrue();
    // an object's own list beats the default
    assertThat(ExportTo.of(List.of("*"), List.of(".")).visibleTo("a", "b")).isTrue();
  }
}
