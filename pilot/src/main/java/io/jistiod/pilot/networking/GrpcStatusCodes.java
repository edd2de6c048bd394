package io.jistiod.pilot.networking;

import java.util.List;

/** gRPC status names as VirtualService fault aborts write them ({@code UNAVAILABLE}, ...). */
final class GrpcStatusCodes {
  private static final List<String> NAMES =
      List.of(
          "OK",
          "CANCELLED",
          "UNKNOWN",
          "INVALID_ARGUMENT",
          "DEADLINE_EXCEEDED",
          "NOT_FOUND",
          "ALREADY_EXISTS",
          "PERMISSION_DENIED",
          "RESOURCE_EXHAUSTED",
          "FAILED_PRECONDITION",
          "ABORTED",
          "OUT_OF_RANGE",
          "UNIMPLEMENTED",
          "INTERNAL",
          "UNAVAILABLE",
          "DATA_LOSS",
          "UNAUTHENTICATED");

  private GrpcStatusCodes() {}

  /** The numeric code of {@code name}, or -1 if it is not a gRPC status name. */
  static int code(String name) {
    return NAMES.indexOf(name);
  }
}
