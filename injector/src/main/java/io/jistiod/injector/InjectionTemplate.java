package io.jistiod.injector;

import io.jistiod.injector.template.TemplateException;

/**
 * One injection template, parsed: renders the template data into the YAML of a partial pod. A seam
 * between the pipeline and the Go template engine, so the pipeline is testable on its own.
 */
@FunctionalInterface
public interface InjectionTemplate {
  String render(Object data) throws TemplateException;
}
