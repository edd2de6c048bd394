package io.jistiod.istiod.inject;

import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.template.GoTemplate;
import java.util.Map;

/** How istiod parses injection templates: Go's text/template with sprig's and Istio's functions. */
public final class TemplateParsers {
  private TemplateParsers() {}

  public static InjectionConfig.TemplateParser goTemplates() {
    // TODO(merge lane-gotemplate): InjectionFunctions.all() once the engine lands.
    return (name, text) -> GoTemplate.parse(name, text, Map.of())::execute;
  }
}
