package io.jistiod.injector.template;

/**
 * Go's invalid {@code reflect.Value}: what a missing map key evaluates to. It prints as {@code <no
 * value>}, is false, and reaches functions as nil.
 */
enum NoValue {
  I;

  @Override
  public String toString() {
    return "<no value>";
  }
}
