package io.jistiod.injector;

/** An injection config ({@code config} or {@code values}) that cannot be used; says why. */
public final class InjectionConfigException extends Exception {
  public InjectionConfigException(String message) {
    super(message);
  }
}
