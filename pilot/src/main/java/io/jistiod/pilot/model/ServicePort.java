package io.jistiod.pilot.model;

import java.util.Objects;

/** A port a service exposes. */
public record ServicePort(String name, int port, Protocol protocol) {
  public ServicePort {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(protocol, "protocol");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
  }
}
