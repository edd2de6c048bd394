package io.jistiod.pilot.xds;

import com.google.protobuf.Any;
import java.util.Objects;

/** One generated resource: its xDS name and its packed body. */
public record XdsResource(String name, Any body) {
  public XdsResource {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(body, "body");
  }

  public static XdsResource of(String name, com.google.protobuf.Message message) {
    return new XdsResource(name, Any.pack(message));
  }
}
