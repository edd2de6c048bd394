package io.jistiod.injector;

import java.util.Collection;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether injected proxies are native sidecars (restartable init containers), by istiod's {@code
 * ENABLE_NATIVE_SIDECARS}: {@code true}, {@code false}, or {@code auto} (1.27's default): on when
 * the pod's node, or every node if the pod has none yet, runs kubelet 1.33 or later.
 */
public final class NativeSidecars {
  private static final Logger log = LoggerFactory.getLogger(NativeSidecars.class);
  private static final Pattern VERSION = Pattern.compile("^v?(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?.*");
  static final int MIN_MINOR = 33;

  public enum Mode {
    ENABLED,
    DISABLED,
    AUTO
  }

  /** The kubelet versions of the cluster's nodes. */
  public interface Nodes {
    Optional<String> kubeletVersion(String node);

    Collection<String> allKubeletVersions();
  }

  private NativeSidecars() {}

  /** {@code ENABLE_NATIVE_SIDECARS} read as istiod reads it (unknown values: disabled). */
  public static Mode mode(String env) {
    if (env == null) {
      return Mode.AUTO;
    }
    return switch (env) {
      case "true" -> Mode.ENABLED;
      case "auto" -> Mode.AUTO;
      default -> Mode.DISABLED;
    };
  }

  /**
   * @param nodes null when there is no cluster to ask (then only {@code true} enables)
   */
  public static boolean detect(Mode mode, Nodes nodes, String podNode) {
    if (mode == Mode.DISABLED) {
      return false;
    }
    if (mode == Mode.ENABLED) {
      return true;
    }
    if (nodes == null) {
      log.warn("configured to auto detect native sidecar support, but couldn't find a client");
      return false;
    }
    if (podNode != null && !podNode.isEmpty()) {
      Optional<String> v = nodes.kubeletVersion(podNode);
      if (v.isPresent()) {
        return supported(podNode, v.get());
      }
      log.warn("pod assigned to node \"{}\" but node not found in cluster", podNode);
    }
    for (String v : nodes.allKubeletVersions()) {
      if (!supported("", v)) {
        return false;
      }
    }
    return true;
  }

  static boolean supported(String node, String kubeletVersion) {
    Matcher m = VERSION.matcher(kubeletVersion == null ? "" : kubeletVersion);
    if (!m.matches()) {
      log.warn("could not read node version for {} {}", node, kubeletVersion);
      return false;
    }
    int minor = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
    return minor >= MIN_MINOR;
  }
}
