package io.jistiod.galley.analysis;

/**
 * The kinds of analyzer findings, with Istio's message codes ({@code
 * pkg/config/analysis/msg/messages.yaml}) so users and tools that know {@code istioctl analyze}
 * recognise them. Istio has no message for conflicting PeerAuthentications; that one carries a code
 * of our own, outside Istio's {@code IST} range.
 */
public enum MessageType {
  /** A resource being referenced does not exist. */
  REFERENCED_RESOURCE_NOT_FOUND("IST0101", "ReferencedResourceNotFound"),

  /** No workload carries the labels the resource selects. */
  NO_MATCHING_WORKLOADS_FOUND("IST0127", "NoMatchingWorkloadsFound"),

  /** Two PeerAuthentications both apply to a whole namespace (or to the whole mesh). */
  CONFLICTING_PEER_AUTHENTICATIONS("JST0001", "ConflictingPeerAuthentications"),

  /** A CUSTOM AuthorizationPolicy names an ext_authz provider MeshConfig does not define. */
  UNKNOWN_AUTHORIZATION_PROVIDER("JST0012", "UnknownAuthorizationProvider"),

  /** An AuthorizationPolicy field that istiod 1.27 does not enforce. */
  UNSUPPORTED_AUTHORIZATION_FIELD("JST0013", "UnsupportedAuthorizationField");

  private final String code;
  private final String typeName;

  MessageType(String code, String typeName) {
    this.code = code;
    this.typeName = typeName;
  }

  public String code() {
    return code;
  }

  /** Istio's name for the message, e.g. {@code ReferencedResourceNotFound}. */
  public String typeName() {
    return typeName;
  }
}
