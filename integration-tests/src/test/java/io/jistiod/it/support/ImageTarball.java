package io.jistiod.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A container image in docker-archive form (what {@code docker save} and Jib's buildTar write):
 * manifest.json, the image config JSON and gzipped layer tars. Read with the system's tar, as a
 * runtime would unpack it.
 */
public final class ImageTarball {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final JsonNode manifest;
  private final JsonNode config;

  private ImageTarball(Path dir, JsonNode manifest, JsonNode config) {
    this.dir = dir;
    this.manifest = manifest;
    this.config = config;
  }

  /** Unpacks the archive's top level (not its layers) into {@code dir}. */
  public static ImageTarball open(Path tarball, Path dir) {
    try {
      Files.createDirectories(dir);
      tar("-xf", tarball.toString(), "-C", dir.toString());
      JsonNode manifests = JSON.readTree(dir.resolve("manifest.json").toFile());
      if (!manifests.isArray() || manifests.size() != 1) {
        throw new IllegalStateException(tarball + ": manifest.json should name one image");
      }
      JsonNode manifest = manifests.get(0);
      JsonNode config = JSON.readTree(dir.resolve(manifest.path("Config").asText()).toFile());
      return new ImageTarball(dir, manifest, config);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + tarball, e);
    }
  }

  /** The manifest entry: Config, RepoTags, Layers. */
  public JsonNode manifest() {
    return manifest;
  }

  /** The image config: architecture, os, created, config (Entrypoint, User, Env...), rootfs. */
  public JsonNode config() {
    return config;
  }

  /** The layer files, bottom first. */
  public List<Path> layers() {
    List<Path> layers = new ArrayList<>();
    manifest.path("Layers").forEach(l -> layers.add(dir.resolve(l.asText())));
    return layers;
  }

  /** Every layer's listing ({@code tar -tv} with numeric owners), one entry a line. */
  public List<String> listing(Path layer) {
    return List.of(tar("--numeric-owner", "-tvzf", layer.toString()).split("\n"));
  }

  /** Unpacks the layers in order into {@code rootfs}, as a runtime builds the container's root. */
  public Path unpack(Path rootfs) {
    try {
      Files.createDirectories(rootfs);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path layer : layers()) {
      tar("-xzf", layer.toString(), "-C", rootfs.toString());
    }
    return rootfs;
  }

  private static String tar(String... args) {
    List<String> cmd = new ArrayList<>(List.of("tar", "--warning=no-unknown-keyword"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run tar", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
