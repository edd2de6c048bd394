package io.jistiod.injector.template;

/** An execution error on its way up to the node that gives it template name and position. */
final class ExecException extends RuntimeException {
  ExecException(String message) {
    super(message, null, false, false);
  }
}
