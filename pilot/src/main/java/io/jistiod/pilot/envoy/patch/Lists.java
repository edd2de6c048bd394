package io.jistiod.pilot.envoy.patch;

import java.util.List;
import java.util.function.Predicate;

/** The list edits EnvoyFilter operations make, each at the first element that matches. */
final class Lists {
  private Lists() {}

  /** Inserts {@code e} before the first match; false (and no change) without one. */
  static <E> boolean insertBefore(List<E> list, Predicate<E> match, E e) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) != null && match.test(list.get(i))) {
        list.add(i, e);
        return true;
      }
    }
    return false;
  }

  /** Inserts {@code e} after the first match; false (and no change) without one. */
  static <E> boolean insertAfter(List<E> list, Predicate<E> match, E e) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) != null && match.test(list.get(i))) {
        list.add(i + 1, e);
        return true;
      }
    }
    return false;
  }

  /** Replaces the first match with {@code e}; false (and no change) without one. */
  static <E> boolean replace(List<E> list, Predicate<E> match, E e) {
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) != null && match.test(list.get(i))) {
        list.set(i, e);
        return true;
      }
    }
    return false;
  }
}
