package io.jistiod.injector.template;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A Go struct value built in Java: its fields by Go name, in declaration order, and optionally its
 * Go type name as errors show it (e.g. {@code *inject.SidecarTemplateData}).
 */
public final class GoStruct {
  private final String typeName;
  private final Map<String, Object> fields;
  private final Object embedded;

  public GoStruct(Map<String, Object> fields) {
    this(null, fields);
  }

  /** {@code typeName} is what Go's errors call the type; null for an anonymous struct. */
  public GoStruct(String typeName, Map<String, Object> fields) {
    this(typeName, fields, null);
  }

  /**
   * A struct that embeds {@code embedded} (a Kubernetes model, a message or another GoStruct): a
   * field this struct does not declare is looked up there, as Go promotes the fields of an embedded
   * struct. Name the embedded value in {@code fields} too if templates reach it whole.
   */
  public GoStruct(String typeName, Map<String, Object> fields, Object embedded) {
    this.typeName = typeName;
    this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    this.embedded = embedded;
  }

  public Map<String, Object> fields() {
    return fields;
  }

  /** The embedded value whose fields are promoted, or null. */
  public Object embedded() {
    return embedded;
  }

  /** The Go type name, or null. */
  public String typeName() {
    return typeName;
  }
}
