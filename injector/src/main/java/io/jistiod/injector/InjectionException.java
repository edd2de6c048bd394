package io.jistiod.injector;

/**
 * One injection that failed: the message is what istiod puts in the admission response (and what
 * {@code kube-inject} prints), so it names the template, annotation or field and the reason.
 */
public final class InjectionException extends Exception {
  public InjectionException(String message) {
    super(message);
  }
}
