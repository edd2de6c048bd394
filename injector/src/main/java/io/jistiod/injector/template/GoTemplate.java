package io.jistiod.injector.template;

import io.jistiod.injector.template.Node.ListNode;
import java.util.HashMap;
import java.util.Map;

/**
 * A parsed Go {@code text/template}, executed as Go executes it. Istio's injection templates (and
 * the ones users put in the {@code istio-sidecar-injector} ConfigMap) are Go templates with sprig's
 * and Istio's functions, so the injector must render them exactly as istiod does: same whitespace,
 * same printing of values, same errors for missing functions.
 *
 * <p>Data is a Java object graph read with Go semantics; see {@link GoValues} for the mapping.
 * Missing map keys print {@code <no value>} (Go's default {@code missingkey} option, which istiod
 * keeps).
 */
public final class GoTemplate {
  private final String name;
  private final String text;
  private final Map<String, ListNode> trees;
  private final Map<String, GoFunction> functions;

  private GoTemplate(
      String name, String text, Map<String, ListNode> trees, Map<String, GoFunction> functions) {
    this.name = name;
    this.text = text;
    this.trees = trees;
    this.functions = functions;
  }

  /**
   * Parses {@code text} as template {@code name}. Fails (as Go's Parse does) on syntax errors and
   * on functions missing from {@code functions}; the message names the template and line.
   */
  public static GoTemplate parse(String name, String text, Map<String, GoFunction> functions)
      throws TemplateException {
    Map<String, GoFunction> all = new HashMap<>(Builtins.all());
    all.putAll(functions);
    Map<String, ListNode> trees = Parser.parse(name, text, all.keySet());
    return new GoTemplate(name, text, trees, all);
  }

  /** Executes the template on {@code data}; errors carry the template name, line and reason. */
  public String execute(Object data) throws TemplateException {
    return executeTemplate(name, data);
  }

  /** Executes the template {@code templateName} defined in this text (Go's ExecuteTemplate). */
  public String executeTemplate(String templateName, Object data) throws TemplateException {
    StringBuilder out = new StringBuilder();
    if (!trees.containsKey(templateName)) {
      throw new TemplateException(
          "template: no template "
              + GoFmt.quote(templateName)
              + " associated with template "
              + GoFmt.quote(name));
    }
    new Executor(name, text, trees, functions, out).run(templateName, data);
    return out.toString();
  }

  public String name() {
    return name;
  }
}
