package io.jistiod.it.support;

import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * istiod's identity on the rig as the istiod chart installs it, so that e2e tests run istiod with
 * the chart's least-privilege RBAC instead of the admin kubeconfig: the ServiceAccount,
 * ClusterRole, Role and their bindings rendered by {@code helm template} from
 * manifests/charts/istiod (nothing written by hand, so a rule missing from the chart fails the test
 * that needs it), applied, and a kubeconfig carrying a token of that ServiceAccount.
 */
public final class ChartIdentity {
  private static final List<String> RBAC_TEMPLATES =
      List.of(
          "templates/serviceaccount.yaml",
          "templates/clusterrole.yaml",
          "templates/clusterrolebinding.yaml",
          "templates/role.yaml",
          "templates/rolebinding.yaml");

  private final String namespace;
  private final String revision;
  private final String rendered;
  private final Path kubeconfig;

  private ChartIdentity(String namespace, String revision, String rendered, Path kubeconfig) {
    this.namespace = namespace;
    this.revision = revision;
    this.rendered = rendered;
    this.kubeconfig = kubeconfig;
  }

  /**
   * Renders and applies the chart's RBAC for istiod of {@code revision} (empty: the default) in
   * {@code namespace} (which must exist), and writes a kubeconfig with its ServiceAccount's token.
   */
  static ChartIdentity install(Rig rig, String namespace, String revision)
      throws IOException, InterruptedException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "template",
                "istiod",
                Helm.CHARTS.resolve("istiod").toString(),
                "-n",
                namespace,
                "--set",
                "global.istioNamespace=" + namespace));
    if (!revision.isEmpty()) {
      args.add("--set");
      args.add("revision=" + revision);
    }
    for (String t : RBAC_TEMPLATES) {
      args.add("--show-only");
      args.add(t);
    }
    String yaml = Helm.require().check(args.toArray(String[]::new));
    rig.apply(yaml);
    String serviceAccount = revision.isEmpty() ? "istiod" : "istiod-" + revision;
    Path kubeconfig = serviceAccountKubeconfig(rig, namespace, serviceAccount);
    return new ChartIdentity(namespace, revision, yaml, kubeconfig);
  }

  public String namespace() {
    return namespace;
  }

  public String revision() {
    return revision;
  }

  /** A kubeconfig for the rig's API server that authenticates as istiod's ServiceAccount. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** Deletes what {@link #install} applied (the cluster-scoped objects outlive the namespace). */
  void delete(Rig rig) {
    try {
      rig.kubectlStdin(rendered, "delete", "--ignore-not-found", "--wait=false", "-f", "-");
    } catch (IOException | InterruptedException e) {
      System.out.println("cleanup of istiod's RBAC in " + namespace + ": " + e.getMessage());
    }
    try {
      Files.deleteIfExists(kubeconfig);
    } catch (IOException e) {
      // a temp file
    }
  }

  /**
   * A kubeconfig for the rig's API server that authenticates as ServiceAccount {@code ns/name} with
   * a token from the TokenRequest API (an hour, longer than any e2e test).
   */
  public static Path serviceAccountKubeconfig(Rig rig, String ns, String name) throws IOException {
    String token =
        rig.client()
            .serviceAccounts()
            .inNamespace(ns)
            .withName(name)
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    Config admin = rig.client().getConfiguration();
    String ca = admin.getCaCertData();
    if (ca == null || ca.isEmpty()) {
      ca = Base64.getEncoder().encodeToString(Files.readAllBytes(Path.of(admin.getCaCertFile())));
    }
    String yaml =
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: rig
          cluster: {server: "%s", certificate-authority-data: "%s"}
        users:
        - name: %s
          user: {token: "%s"}
        contexts:
        - name: sa
          context: {cluster: rig, user: %s}
        current-context: sa
        """
            .formatted(admin.getMasterUrl(), ca, name, token, name);
    Path file = Files.createTempFile("kubeconfig-" + ns + "-" + name, ".yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    return file;
  }
}
