package io.jistiod.pilot.envoy.secret;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gateway credentials from Kubernetes Secrets, through informers on the two Secret types a
 * credential may have ({@code kubernetes.io/tls}, {@code Opaque}); service account tokens, Helm
 * releases and the like are never listed or cached.
 *
 * <p>Threads: the informers write their caches on their own threads; {@link #secret} reads them
 * from push workers (the caches are thread-safe). A change to a Secret's content calls {@code
 * onChange} with {@code namespace/name}, on an informer thread.
 */
public final class KubeCredentialSource implements CredentialSource, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeCredentialSource.class);
  static final List<String> TYPES = List.of("kubernetes.io/tls", "Opaque");

  private final KubernetesClient client;
  private final Consumer<String> onChange;
  private final List<SharedIndexInformer<Secret>> informers = new ArrayList<>();

  public KubeCredentialSource(KubernetesClient client, Consumer<String> onChange) {
    this.client = Objects.requireNonNull(client, "client");
    this.onChange = Objects.requireNonNull(onChange, "onChange");
  }

  /** Starts one informer per credential Secret type; {@link #hasSynced} turns true after. */
  public void start() {
    for (String type : TYPES) {
      informers.add(client.secrets().inAnyNamespace().withField("type", type).inform(handler(), 0));
    }
  }

  public boolean hasSynced() {
    return !informers.isEmpty() && informers.stream().allMatch(SharedIndexInformer::hasSynced);
  }

  @Override
  public Optional<SecretData> secret(String namespace, String name) {
    for (SharedIndexInformer<Secret> i : informers) {
      Secret s = i.getStore().getByKey(namespace + "/" + name);
      if (s != null && TYPES.contains(typeOf(s))) {
        return Optional.of(toData(s));
      }
    }
    return Optional.empty();
  }

  private static String typeOf(Secret s) {
    return s.getType() == null || s.getType().isEmpty() ? "Opaque" : s.getType();
  }

  static SecretData toData(Secret s) {
    Map<String, ByteString> data = new HashMap<>();
    if (s.getData() != null) {
      s.getData()
          .forEach(
              (k, v) -> {
                try {
                  data.put(k, ByteString.copyFrom(Base64.getMimeDecoder().decode(v)));
                } catch (IllegalArgumentException e) {
                  log.warn(
                      "secret {}/{}: key {} is not base64",
                      s.getMetadata().getNamespace(),
                      s.getMetadata().getName(),
                      k);
                }
              });
    }
    if (s.getStringData() != null) {
      s.getStringData().forEach((k, v) -> data.putIfAbsent(k, ByteString.copyFromUtf8(v)));
    }
    return new SecretData(
        s.getMetadata().getNamespace(), s.getMetadata().getName(), typeOf(s), data);
  }

  private ResourceEventHandler<Secret> handler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Secret s) {
        changed(s);
      }

      @Override
      public void onUpdate(Secret old, Secret s) {
        if (!Objects.equals(old.getData(), s.getData())
            || !Objects.equals(old.getStringData(), s.getStringData())
            || !Objects.equals(old.getType(), s.getType())) {
          changed(s);
        }
      }

      @Override
      public void onDelete(Secret s, boolean deletedFinalStateUnknown) {
        changed(s);
      }
    };
  }

  private void changed(Secret s) {
    if (!TYPES.contains(typeOf(s))) {
      return;
    }
    onChange.accept(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName());
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
