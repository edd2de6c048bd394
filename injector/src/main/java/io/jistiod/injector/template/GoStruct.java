package io.jistiod.injector.template;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A Go struct value built in Java: its fields by Go name, in declaration order. */
public final class GoStruct {
  private final Map<String, Object> fields;

  public GoStruct(Map<String, Object> fields) {
    this.fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
  }

  public Map<String, Object> fields() {
    return fields;
  }
}
