package io.jistiod.injector.template;

import java.util.List;

/**
 * A function callable from a template. Arguments arrive as the Java values of {@link GoValues};
 * throwing stops execution with the function's name in the error, as a Go function returning a
 * non-nil error does.
 */
@FunctionalInterface
public interface GoFunction {
  Object call(List<Object> args) throws Exception;
}
