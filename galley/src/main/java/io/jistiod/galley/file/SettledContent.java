package io.jistiod.galley.file;

import java.util.Objects;
import java.util.Optional;

/**
 * Content read by polling a file, taken only once two reads in a row agree: a file caught while it
 * is being rewritten (empty, or cut short) differs from the read before and after it, so it is
 * never taken for the new content. Costs one poll interval of delay per change.
 */
public final class SettledContent<T> {
  private T applied;
  private T seen;

  /** Starts from {@code initial}, already in use. */
  public SettledContent(T initial) {
    this.applied = initial;
    this.seen = initial;
  }

  /** The content to apply now, or empty: unchanged, or not read the same twice yet. */
  public synchronized Optional<T> offer(T read) {
    boolean settled = Objects.equals(read, seen);
    seen = read;
    if (settled && !Objects.equals(read, applied)) {
      applied = read;
      return Optional.of(read);
    }
    return Optional.empty();
  }
}
