package io.jistiod.injector;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The ProxyConfig resources (networking.istio.io/v1beta1) of the mesh, an immutable snapshot, and
 * the ProxyConfig a workload gets from them as istiod computes it for injection and for the
 * deployed Gateways (its EffectiveProxyConfig). Layers, lowest first: the mesh's {@code
 * defaultConfig} over istiod's defaults; the root namespace's resource without a selector
 * (mesh-wide); the workload namespace's resource without a selector (unless it is the root
 * namespace); then the workload's own layer: the {@code proxy.istio.io/config} annotation under the
 * first resource of the workload's namespace whose selector matches its labels. In each namespace
 * the oldest resource wins (creation time, then name); a resource with an empty selector applies to
 * nothing. A resource sets only {@code concurrency}, {@code environmentVariables} (as {@code
 * proxyMetadata}, added to the lower layers' entries) and {@code image}.
 */
public final class ProxyConfigResources {
  /** No resources: the mesh default and the annotation only. */
  public static final ProxyConfigResources NONE = new ProxyConfigResources(Map.of());

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer();

  /** Per namespace, oldest first. */
  private final Map<String, List<io.jistiod.galley.api.networking.v1beta1.ProxyConfig>> byNamespace;

  private ProxyConfigResources(
      Map<String, List<io.jistiod.galley.api.networking.v1beta1.ProxyConfig>> byNamespace) {
    this.byNamespace = byNamespace;
  }

  /** A snapshot of {@code configs} (ProxyConfig kind; other specs are ignored). */
  public static ProxyConfigResources of(List<Config> configs) {
    List<Config> sorted = new ArrayList<>(configs);
    sorted.sort(
        Comparator.comparing((Config c) -> c.meta().creationTimestamp())
            .thenComparing(c -> c.meta().name())
            .thenComparing(c -> c.meta().namespace()));
    Map<String, List<io.jistiod.galley.api.networking.v1beta1.ProxyConfig>> out =
        new LinkedHashMap<>();
    for (Config c : sorted) {
      if (c.spec() instanceof io.jistiod.galley.api.networking.v1beta1.ProxyConfig pc) {
        out.computeIfAbsent(c.meta().namespace(), k -> new ArrayList<>()).add(pc);
      }
    }
    out.replaceAll((k, v) -> List.copyOf(v));
    return new ProxyConfigResources(Map.copyOf(out));
  }

  /**
   * The ProxyConfig of a workload in {@code namespace} with {@code labels}.
   *
   * @param mesh the mesh as the injector sees it ({@link ProxyConfigs#completeMesh}): its {@code
   *     defaultConfig} is the lowest layer and its {@code rootNamespace} holds mesh-wide resources
   * @param annotation the pod's {@code proxy.istio.io/config}, or null
   * @param badAnnotation told why, when the annotation is not a ProxyConfig: istiod then leaves it
   *     out
   */
  public ProxyConfig effective(
      MeshConfig mesh,
      String namespace,
      Map<String, String> labels,
      String annotation,
      Consumer<String> badAnnotation) {
    ProxyConfig effective = mesh.getDefaultConfig();
    String root = mesh.getRootNamespace();
    if (!root.isEmpty()) {
      effective = overlay(effective, namespaceWide(root));
    }
    if (!namespace.equals(root)) {
      effective = overlay(effective, namespaceWide(namespace));
    }
    // The workload's layer: its selected resource wins over its annotation.
    ProxyConfig workload = ProxyConfig.getDefaultInstance();
    if (annotation != null) {
      try {
        workload = ProxyConfigs.apply(workload, annotation);
      } catch (InjectionException e) {
        badAnnotation.accept(e.getMessage());
      }
    }
    workload = overlay(workload, selecting(namespace, labels));
    return overlay(effective, Optional.of(workload));
  }

  /** The oldest resource of {@code namespace} without a selector. */
  private Optional<ProxyConfig> namespaceWide(String namespace) {
    return byNamespace.getOrDefault(namespace, List.of()).stream()
        .filter(pc -> !pc.hasSelector())
        .findFirst()
        .map(ProxyConfigResources::asProxyConfig);
  }

  /** The oldest resource of {@code namespace} whose non-empty selector matches {@code labels}. */
  private Optional<ProxyConfig> selecting(String namespace, Map<String, String> labels) {
    return byNamespace.getOrDefault(namespace, List.of()).stream()
        .filter(pc -> pc.getSelector().getMatchLabelsCount() > 0)
        .filter(
            pc ->
                pc.getSelector().getMatchLabelsMap().entrySet().stream()
                    .allMatch(e -> e.getValue().equals(labels.get(e.getKey()))))
        .findFirst()
        .map(ProxyConfigResources::asProxyConfig);
  }

  /** The fields a resource can set, as the mesh's ProxyConfig. */
  private static ProxyConfig asProxyConfig(
      io.jistiod.galley.api.networking.v1beta1.ProxyConfig pc) {
    ProxyConfig.Builder b = ProxyConfig.newBuilder();
    if (pc.hasConcurrency()) {
      b.setConcurrency(pc.getConcurrency());
    }
    b.putAllProxyMetadata(pc.getEnvironmentVariablesMap());
    if (pc.hasImage()) {
      b.setImage(pc.getImage());
    }
    return b.build();
  }

  /**
   * {@code top} over {@code base} as istiod merges layers: through {@code top}'s JSON, so only the
   * fields it sets (not those at their zero value) replace, and proxyMetadata entries add up.
   */
  private static ProxyConfig overlay(ProxyConfig base, Optional<ProxyConfig> top) {
    if (top.isEmpty()) {
      return base;
    }
    try {
      return ProxyConfigs.apply(base, PRINTER.print(top.get()));
    } catch (InvalidProtocolBufferException | InjectionException e) {
      // a ProxyConfig's own JSON always reads back
      throw new IllegalStateException(e);
    }
  }
}
