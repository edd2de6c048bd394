package io.jistiod.it.agreement;

import io.jistiod.it.support.Peers;
import io.jistiod.it.support.Rig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Istio's verdict on each document, as a cluster running Istio 1.27.0 gives it: first the API
 * server checks the object against Istio's CRD schema (OpenAPI constraints and CEL rules), then
 * Istio's validation webhook runs Istio's validation functions. Both from Istio's own programs:
 *
 * <ul>
 *   <li>schema: a server-side dry run ({@code kubectl create --dry-run=server}) against a real
 *       kube-apiserver that serves Istio's own CRDs ({@code cluster/reference-apiserver.sh});
 *   <li>validation: {@code istioctl validate -f} of istioctl 1.27.0, offline (it only reads a
 *       kubeconfig for a default namespace; it is given none, so the default is {@code default},
 *       and {@code --istioNamespace istio-system}). It runs the same validation functions as the
 *       webhook, and rejects unknown fields as the webhook's strict decoding does.
 * </ul>
 *
 * A document is rejected when either rejects it. Verdicts are cached by document content under
 * {@code $JISTIOD_CACHE/agreement-istio-1.27.0/} (Istio's programs are pinned, so they cannot
 * change), which makes regenerating the table after a change of ours fast.
 */
final class IstioVerdicts {
  static final Path ISTIOCTL =
      Path.of(
          System.getenv()
              .getOrDefault("JISTIOD_CACHE", System.getProperty("user.home") + "/.cache/jistiod"),
          "istio-1.27.0",
          "istioctl");
  private static final Path CACHE = ISTIOCTL.resolveSibling("../agreement-istio-1.27.0");

  private IstioVerdicts() {}

  static Map<String, Verdict> judge(List<CorpusDocument> docs, Path work) throws Exception {
    Peers.require(ISTIOCTL, "Istio's istioctl 1.27.0", "build-istio.sh");
    Files.createDirectories(CACHE);
    Map<String, Verdict> out = new LinkedHashMap<>();
    List<CorpusDocument> todo = new ArrayList<>();
    for (CorpusDocument d : docs) {
      Verdict cached = readCache(d);
      if (cached != null) {
        out.put(d.id(), cached);
      } else {
        todo.add(d);
      }
    }
    if (!todo.isEmpty()) {
      Path dir = Files.createDirectories(work.resolve("istio"));
      List<Path> files = new ArrayList<>();
      for (int i = 0; i < todo.size(); i++) {
        Path f = dir.resolve(i + ".yaml");
        Files.writeString(f, todo.get(i).text(), StandardCharsets.UTF_8);
        files.add(f);
      }
      Map<Path, String> schema = schemaRejections(dir);
      List<Verdict> validation = istioctl(files, work);
      for (int i = 0; i < todo.size(); i++) {
        String s = schema.get(files.get(i));
        Verdict v =
            s != null
                ? Verdict.reject("api server: " + s)
                : validation.get(i).accepted()
                    ? Verdict.accept()
                    : Verdict.reject("istioctl: " + validation.get(i).reason());
        writeCache(todo.get(i), v);
        out.put(todo.get(i).id(), v);
      }
    }
    Map<String, Verdict> ordered = new LinkedHashMap<>();
    docs.forEach(d -> ordered.put(d.id(), out.get(d.id())));
    return ordered;
  }

  /** Documents (files in {@code dir}) the API server refuses, with its message. */
  private static Map<Path, String> schemaRejections(Path dir) throws Exception {
    Path kubeconfig = startReferenceApiServer();
    Path err = dir.resolveSibling("kubectl.err");
    Process p =
        new ProcessBuilder(
                "kubectl",
                "--kubeconfig",
                kubeconfig.toString(),
                "create",
                "--dry-run=server",
                "-f",
                dir.toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(30, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("kubectl create --dry-run=server timed out");
    }
    Map<Path, String> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(err, StandardCharsets.UTF_8)) {
      int at = line.indexOf(dir.toString() + "/");
      if (at < 0) {
        continue;
      }
      int end = line.indexOf(".yaml", at);
      Path file = Path.of(line.substring(at, end + 5));
      String msg = line.substring(Math.min(line.length(), end + 5)).replaceFirst("^\"?:?\\s*", "");
      out.merge(file, msg, (a, b) -> a + "; " + b);
    }
    return out;
  }

  private static Path startReferenceApiServer() throws Exception {
    Path script = Rig.MODULE.resolve("cluster/reference-apiserver.sh");
    Path log = Files.createTempFile("reference-apiserver", ".log");
    try {
      Process p =
          new ProcessBuilder("bash", script.toString(), "start")
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      List<String> lines;
      if (!p.waitFor(10, TimeUnit.MINUTES)
          || p.exitValue() != 0
          || (lines = Files.readAllLines(log)).isEmpty()) {
        throw new AssertionError(script + " start failed:\n" + Files.readString(log));
      }
      return Path.of(lines.get(lines.size() - 1).strip());
    } finally {
      Files.deleteIfExists(log);
    }
  }

  /** istioctl validate on each file, two at a time (a 2-core machine). */
  private static List<Verdict> istioctl(List<Path> files, Path work) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<Verdict>> futures = new ArrayList<>();
      for (Path f : files) {
        futures.add(pool.submit(() -> istioctl(f, work)));
      }
      List<Verdict> out = new ArrayList<>();
      for (Future<Verdict> f : futures) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  private static Verdict istioctl(Path file, Path work) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                ISTIOCTL.toString(),
                "validate",
                "-f",
                file.toString(),
                "--istioNamespace",
                "istio-system")
            .redirectErrorStream(true);
    // no cluster: the default namespace comes from a kubeconfig that does not exist
    pb.environment().put("KUBECONFIG", work.resolve("no-kubeconfig").toString());
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("istioctl validate " + file + " timed out");
    }
    if (p.exitValue() == 0) {
      return Verdict.accept();
    }
    StringBuilder reason = new StringBuilder();
    for (String line : out.split("\n")) {
      String l = line.strip();
      if (l.startsWith("* ")) {
        reason.append(reason.length() == 0 ? "" : "; ").append(l.substring(2));
      }
    }
    return Verdict.reject(reason.length() > 0 ? reason.toString() : out.replace(file + "", "FILE"));
  }

  private static Path cacheFile(CorpusDocument d) throws NoSuchAlgorithmException {
    byte[] h =
        MessageDigest.getInstance("SHA-256").digest(d.text().getBytes(StandardCharsets.UTF_8));
    return CACHE.resolve(HexFormat.of().formatHex(h));
  }

  private static Verdict readCache(CorpusDocument d) throws Exception {
    Path f = cacheFile(d);
    if (!Files.exists(f)) {
      return null;
    }
    String s = Files.readString(f, StandardCharsets.UTF_8);
    return s.startsWith("accept")
        ? Verdict.accept()
        : Verdict.reject(s.substring("reject ".length()));
  }

  private static void writeCache(CorpusDocument d, Verdict v) throws Exception {
    Path f = cacheFile(d);
    Path tmp = f.resolveSibling(f.getFileName() + ".tmp");
    Files.writeString(tmp, v.accepted() ? "accept" : "reject " + v.reason());
    Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
