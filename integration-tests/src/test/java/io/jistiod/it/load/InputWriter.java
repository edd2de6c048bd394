package io.jistiod.it.load;

import io.jistiod.it.support.Rig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes the inputs through the API server (server-side apply, so the same document is both the
 * create and the later edit or restore). Bulk writes go eight at a time on one client: thousands of
 * objects in seconds, not one kubectl per object.
 */
final class InputWriter {
  private static final int PARALLEL = 8;

  private InputWriter() {}

  static void apply(Rig rig, String yaml) {
    rig.client().resource(yaml).forceConflicts().serverSideApply();
  }

  static void applyAll(Rig rig, List<String> docs) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(PARALLEL, CompareHarness.daemon("apply"));
    try {
      List<Future<?>> done = new ArrayList<>();
      for (String d : docs) {
        done.add(pool.submit(() -> apply(rig, d)));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** For restoring between servers: a failure is reported, and the next server's figures say so. */
  static void applyQuietly(Rig rig, String yaml) {
    try {
      apply(rig, yaml);
    } catch (RuntimeException e) {
      CompareHarness.log("restoring an input failed: %s", e.getMessage());
    }
  }

  static void deleteQuietly(Rig rig, String yaml) {
    try {
      rig.client().resource(yaml).delete();
    } catch (RuntimeException e) {
      CompareHarness.log("deleting an input failed: %s", e.getMessage());
    }
  }
}
