package io.jistiod.istiod.inject;

import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.template.GoFunction;
import io.jistiod.injector.template.GoTemplate;
import io.jistiod.injector.template.InjectionFunctions;
import java.util.Map;

/** How istiod parses injection templates: Go's text/template with sprig's and Istio's functions. */
public final class TemplateParsers {
  private TemplateParsers() {}

  public static InjectionConfig.TemplateParser goTemplates() {
    Map<String, GoFunction> functions = InjectionFunctions.all();
    return (name, text) -> GoTemplate.parse(name, text, functions)::execute;
  }
}
