package io.jistiod.it.citadel;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.jistiod.citadel.api.IstioCertificateRequest;
import io.jistiod.citadel.api.IstioCertificateResponse;
import io.jistiod.citadel.api.IstioCertificateServiceGrpc;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.sidebyside.ReferenceIstiod;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * ztunnel's CSRs on behalf of the pods on its node (request metadata {@code ImpersonatedIdentity})
 * against the real kube-apiserver, side by side with Istio's pilot-discovery 1.27.0: the same
 * requests, with tokens bound to pods by the TokenRequest API, get the same answers from both.
 *
 * <p>The rig has no kubelet: pods are objects with {@code spec.nodeName} set, which is all node
 * authorization reads. The API server (1.32) puts the pod's name and UID, and the node's name, in
 * the TokenReview of a pod-bound token; istiod (and we) use the first two and take the node from
 * the pod.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class NodeImpersonationE2ETest {
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String CLUSTER = "Kubernetes";

  @TempDir Path tmp;

  /** One CSR: whose token, which identity it asks for (null: none), with the clusterid header. */
  private record Case(String name, String token, String identity, boolean clusterHeader) {}

  @Test
  void sameAnswersAsIstiod(Rig rig, TestNamespace home) throws Exception {
    rig.installIstioCrds();
    String ns = home.name();
    KubernetesClient k = rig.client();
    // the only namespace the reference sees (discoverySelectors); its pod watch is filtered so
    k.namespaces()
        .withName(ns)
        .edit(
            n -> {
              n.getMetadata().getLabels().put("jistiod.io/scenario", ns);
              return n;
            });
    for (String sa : List.of("ztunnel", "sleep", "httpbin", "rogue")) {
      k.serviceAccounts()
          .inNamespace(ns)
          .resource(
              new ServiceAccountBuilder().withNewMetadata().withName(sa).endMetadata().build())
          .create();
    }
    pod(k, ns, "ztunnel-a", "ztunnel", "node-a");
    pod(k, ns, "ztunnel-b", "ztunnel", "node-b");
    pod(k, ns, "sleep-1", "sleep", "node-a");
    pod(k, ns, "httpbin-1", "httpbin", "node-b");
    pod(k, ns, "rogue-1", "rogue", "node-a");
    pod(k, ns, "pending-1", "pending", null);

    String ztA = boundToken(rig, ns, "ztunnel", "ztunnel-a");
    String ztB = boundToken(rig, ns, "ztunnel", "ztunnel-b");
    String rogue = boundToken(rig, ns, "rogue", "rogue-1");
    String unbound =
        rig.kubectl("create", "token", "ztunnel", "-n", ns, "--audience", "istio-ca").strip();
    List<Case> cases =
        List.of(
            new Case("ztunnel on node-a for sleep on node-a", ztA, id(ns, "sleep"), true),
            new Case("ztunnel on node-b for httpbin on node-b", ztB, id(ns, "httpbin"), true),
            new Case("ztunnel on node-a for its own account", ztA, id(ns, "ztunnel"), true),
            new Case("ztunnel on node-a, no impersonation", ztA, null, true),
            new Case("ztunnel on node-a for httpbin, only on node-b", ztA, id(ns, "httpbin"), true),
            new Case("ztunnel on node-b for sleep, only on node-a", ztB, id(ns, "sleep"), true),
            new Case("ztunnel on node-a for an account with no pod", ztA, id(ns, "nobody"), true),
            new Case("ztunnel on node-a for an unscheduled pod", ztA, id(ns, "pending"), true),
            new Case(
                "ztunnel on node-a, sleep in another namespace", ztA, id("other", "sleep"), true),
            new Case("untrusted pod on node-a for sleep", rogue, id(ns, "sleep"), true),
            new Case("trusted account, token not bound to a pod", unbound, id(ns, "sleep"), true),
            new Case("ztunnel on node-a without clusterid header", ztA, id(ns, "sleep"), false),
            new Case("ztunnel on node-a, not a SPIFFE ID", ztA, ns + "/sleep", true),
            new Case(
                "ztunnel on node-a, other trust domain",
                ztA,
                "spiffe://other.domain/ns/" + ns + "/sa/sleep",
                true));
    Map<String, String> env = Map.of("CA_TRUSTED_NODE_ACCOUNTS", ns + "/ztunnel");

    // Ours first: it creates istio-ca-secret in the namespace, which the reference (same
    // namespace) then loads, so both publish the same roots.
    Map<String, String> ours;
    Istiod istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(env::get)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withNamespace(ns)
                        .withRootCaDir(tmp.resolve("no-cacerts"))));
    try {
      istiod.start();
      String root = istiod.security().ca().current().orElseThrow().rootBundlePem();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", istiod.secureGrpcPort())
              .overrideAuthority("istiod." + ns + ".svc")
              .sslContext(
                  GrpcSslContexts.forClient().trustManager(Pem.parseCertificates(root)).build())
              .build();
      try {
        ours = answers(channel, cases);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      istiod.close();
    }

    Map<String, String> theirs;
    Path mesh = tmp.resolve("mesh.yaml");
    Files.writeString(mesh, "");
    Map<String, String> refEnv = new LinkedHashMap<>(env);
    refEnv.put("ENABLE_CA_SERVER", "true");
    refEnv.put("POD_NAMESPACE", ns);
    // istiod authenticates nobody on a plaintext port unless told to (its CA is on one here)
    refEnv.put("XDS_AUTH_PLAINTEXT", "true");
    try (ReferenceIstiod ref =
        ReferenceIstiod.start("csr-" + ns, List.of(ns), mesh, null, refEnv)) {
      // without --secureGRPCAddr the reference serves its CA on the plaintext gRPC port
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", ref.grpcPort()).usePlaintext().build();
      try {
        theirs = answers(channel, cases);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }

    ours.forEach((name, answer) -> System.out.printf("%-60s %s%n", name, answer));
    assertThat(ours).isEqualTo(theirs);
    // What the comparison covered: both accepted and refused.
    assertThat(ours.get(cases.get(0).name())).isEqualTo("OK " + id(ns, "sleep"));
    assertThat(ours.get(cases.get(4).name()))
        .isEqualTo("UNAUTHENTICATED request impersonation authentication failure");
  }

  private static String id(String ns, String sa) {
    return "spiffe://cluster.local/ns/" + ns + "/sa/" + sa;
  }

  private static void pod(KubernetesClient k, String ns, String name, String sa, String node) {
    k.pods()
        .inNamespace(ns)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withServiceAccountName(sa)
                .withNodeName(node)
                .addNewContainer()
                .withName("app")
                .withImage("none")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  /** A token of {@code sa} bound to pod {@code pod}, as the kubelet would give ztunnel. */
  private static String boundToken(Rig rig, String ns, String sa, String pod) throws Exception {
    return rig.kubectl(
            "create",
            "token",
            sa,
            "-n",
            ns,
            "--audience",
            "istio-ca",
            "--bound-object-kind",
            "Pod",
            "--bound-object-name",
            pod)
        .strip();
  }

  /**
   * Each case's answer: {@code OK <URI SANs>} or {@code <code> <description>}. The first case must
   * succeed: polled until the server's pod watch has caught up.
   */
  private static Map<String, String> answers(ManagedChannel channel, List<Case> cases)
      throws Exception {
    KeyPair key = ecKey();
    String csr =
        Pem.encode(
            new JcaPKCS10CertificationRequestBuilder(
                    new X500Name("O=cluster.local"), key.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate())));
    Case first = cases.get(0);
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> answer(channel, first, csr), a -> a.startsWith("OK "));
    Map<String, String> out = new LinkedHashMap<>();
    for (Case c : cases) {
      out.put(c.name(), answer(channel, c, csr));
    }
    return out;
  }

  private static String answer(ManagedChannel channel, Case c, String csr) throws Exception {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + c.token());
    if (c.clusterHeader()) {
      headers.put(Metadata.Key.of("clusterid", Metadata.ASCII_STRING_MARSHALLER), CLUSTER);
    }
    IstioCertificateRequest.Builder request =
        IstioCertificateRequest.newBuilder().setCsr(csr).setValidityDuration(3600);
    if (c.identity() != null) {
      request.setMetadata(
          Struct.newBuilder()
              .putFields(
                  "ImpersonatedIdentity", Value.newBuilder().setStringValue(c.identity()).build()));
    }
    try {
      IstioCertificateResponse response =
          IstioCertificateServiceGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .createCertificate(request.build());
      return "OK " + String.join(",", uriSans(Pem.parseCertificate(response.getCertChain(0))));
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() + " " + e.getStatus().getDescription();
    }
  }

  private static List<String> uriSans(X509Certificate cert) throws Exception {
    List<String> out = new ArrayList<>();
    for (List<?> san : cert.getSubjectAlternativeNames()) {
      if (Integer.valueOf(6).equals(san.get(0))) {
        out.add((String) san.get(1));
      }
    }
    return out;
  }

  private static KeyPair ecKey() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"));
    return generator.generateKeyPair();
  }
}
