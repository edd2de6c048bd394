package io.jistiod.istiod;

/**
 * Version facts. {@link #ISTIO_VERSION} is the Istio release whose interfaces this build
 * implements; tools such as istioctl compare it with their own.
 */
public final class BuildInfo {
  public static final String ISTIO_VERSION = "1.27.0";

  private BuildInfo() {}

  /** This build's own version, from the jar manifest; "dev" when run from classes. */
  public static String ownVersion() {
    String v = BuildInfo.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /** What {@code istiod version} prints, in pilot-discovery's format. */
  public static String describe() {
    return "version.BuildInfo{Version:\""
        + ISTIO_VERSION
        + "\", GitRevision:\"jistiod-"
        + ownVersion()
        + "\", JavaVersion:\""
        + System.getProperty("java.version")
        + "\", BuildStatus:\"Clean\", GitTag:\""
        + ISTIO_VERSION
        + "\"}";
  }
}
