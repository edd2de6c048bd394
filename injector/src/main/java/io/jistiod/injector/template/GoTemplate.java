package io.jistiod.injector.template;

import java.util.Map;

/**
 * A parsed Go {@code text/template}, executed as Go executes it. Istio's injection templates (and
 * the ones users put in the {@code istio-sidecar-injector} ConfigMap) are Go templates with sprig's
 * and Istio's functions, so the injector must render them exactly as istiod does: same whitespace,
 * same printing of values, same errors for missing functions.
 *
 * <p>Data is a Java object graph read with Go semantics; see {@link GoValues} for the mapping.
 */
public final class GoTemplate {
  private final String name;

  private GoTemplate(String name) {
    this.name = name;
  }

  /**
   * Parses {@code text} as template {@code name}. Fails (as Go's Parse does) on syntax errors and
   * on functions missing from {@code functions}; the message names the template and line.
   */
  public static GoTemplate parse(String name, String text, Map<String, GoFunction> functions)
      throws TemplateException {
    throw new TemplateException("template engine not implemented yet: " + name);
  }

  /** Executes the template on {@code data}; errors carry the template name, line and reason. */
  public String execute(Object data) throws TemplateException {
    throw new TemplateException("template engine not implemented yet: " + name);
  }

  public String name() {
    return name;
  }
}
