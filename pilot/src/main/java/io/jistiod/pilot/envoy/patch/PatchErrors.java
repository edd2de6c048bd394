package io.jistiod.pilot.envoy.patch;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports a patch that matched but could not be applied (a merge of configs of different types, a
 * config that does not decode). The patch is skipped and the rest of the config goes out as it
 * would have. The same failure recurs for every proxy on every push: it is logged once.
 */
final class PatchErrors {
  private static final Logger LOG = LoggerFactory.getLogger(PatchErrors.class);
  private static final int MAX_REMEMBERED = 1024;
  private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

  private PatchErrors() {}

  static void skipped(Patch patch, String where, String reason) {
    String line = patch.describe() + " not applied to " + where + ": " + reason;
    if (LOGGED.size() > MAX_REMEMBERED) {
      LOGGED.clear();
    }
    if (LOGGED.add(line)) {
      LOG.warn(line);
    }
  }
}
