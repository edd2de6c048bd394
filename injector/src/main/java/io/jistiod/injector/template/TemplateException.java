package io.jistiod.injector.template;

/** A template that does not parse or fails to execute; the message is meant for the user. */
public final class TemplateException extends Exception {
  public TemplateException(String message) {
    super(message);
  }

  public TemplateException(String message, Throwable cause) {
    super(message, cause);
  }
}
