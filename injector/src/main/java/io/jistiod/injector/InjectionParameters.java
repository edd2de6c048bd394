package io.jistiod.injector;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import java.util.List;
import java.util.Map;

/**
 * Everything one injection reads (istiod's InjectionParameters).
 *
 * @param pod the pod as received (not modified)
 * @param deployMeta the workload's name and the TypeMeta the templates see
 * @param mesh the mesh config, completed with {@link ProxyConfigs#completeMesh}
 * @param proxyConfig the pod's effective ProxyConfig
 * @param proxyEnvs proxy env from the webhook path ({@code /inject/cluster/C/net/N})
 * @param injectedAnnotations the config's {@code injectedAnnotations}
 * @param nativeSidecar whether the proxy runs as a native sidecar unless the pod's annotation says
 * @param proxyUid the proxy's user id (1337)
 * @param compliancePolicy istiod's {@code COMPLIANCE_POLICY}
 */
public record InjectionParameters(
    ObjectNode pod,
    DeployMeta deployMeta,
    Map<String, InjectionTemplate> templates,
    List<String> defaultTemplates,
    Map<String, List<String>> aliases,
    MeshConfig mesh,
    ProxyConfig proxyConfig,
    ValuesConfig values,
    String revision,
    Map<String, String> proxyEnvs,
    Map<String, String> injectedAnnotations,
    boolean nativeSidecar,
    long proxyUid,
    long proxyGid,
    String compliancePolicy) {

  public static final long DEFAULT_PROXY_UID = 1337;
}
