package io.jistiod.pilot.security.authz;

/**
 * The attributes an AuthorizationPolicy rule can test: the {@code source}/{@code operation} fields
 * and the {@code when} keys. {@code permission} attributes describe the request's destination and
 * go into an RBAC permission, the others describe the caller and go into a principal; {@code
 * extended} ones turn all of a field's values into one matcher.
 */
enum Attribute {
  DEST_IP(true, false),
  DEST_PORT(true, false),
  CONNECTION_SNI(true, false),
  ENVOY_FILTER(true, true),
  HOST(true, false),
  PATH(true, false),
  METHOD(true, false),
  SRC_IP(false, false),
  REMOTE_IP(false, false),
  SRC_NAMESPACE(false, false),
  SRC_SERVICE_ACCOUNT(false, false),
  SRC_PRINCIPAL(false, false),
  TRUST_DOMAIN(false, false),
  REQUEST_PRINCIPAL(false, true),
  REQUEST_AUDIENCES(false, true),
  REQUEST_PRESENTER(false, true),
  REQUEST_HEADER(false, false),
  REQUEST_CLAIMS(false, true);

  final boolean permission;
  final boolean extended;

  Attribute(boolean permission, boolean extended) {
    this.permission = permission;
    this.extended = extended;
  }

  /** The attribute of a {@code when} key, or null if istiod does not know the key. */
  static Attribute forWhenKey(String k) {
    switch (k) {
      case "destination.ip":
        return DEST_IP;
      case "destination.port":
        return DEST_PORT;
      case "connection.sni":
        return CONNECTION_SNI;
      case "source.ip":
        return SRC_IP;
      case "remote.ip":
        return REMOTE_IP;
      case "source.namespace":
        return SRC_NAMESPACE;
      case "source.serviceAccount":
        return SRC_SERVICE_ACCOUNT;
      case "source.principal":
        return SRC_PRINCIPAL;
      case "request.auth.principal":
        return REQUEST_PRINCIPAL;
      case "request.auth.audiences":
        return REQUEST_AUDIENCES;
      case "request.auth.presenter":
        return REQUEST_PRESENTER;
      default:
        break;
    }
    if (k.startsWith("experimental.envoy.filters.")) {
      return ENVOY_FILTER;
    }
    if (k.startsWith("request.headers")) {
      return REQUEST_HEADER;
    }
    if (k.startsWith("request.auth.claims")) {
      return REQUEST_CLAIMS;
    }
    return null;
  }

  /** True for the attributes Envoy can only see in an HTTP request. */
  boolean httpOnly() {
    switch (this) {
      case HOST:
      case PATH:
      case METHOD:
      case REQUEST_PRINCIPAL:
      case REQUEST_AUDIENCES:
      case REQUEST_PRESENTER:
      case REQUEST_HEADER:
      case REQUEST_CLAIMS:
        return true;
      default:
        return false;
    }
  }
}
