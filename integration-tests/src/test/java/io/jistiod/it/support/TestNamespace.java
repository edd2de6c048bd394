package io.jistiod.it.support;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;

/** A namespace created for one test and deleted after it. */
public final class TestNamespace {
  private final Rig rig;
  private final String name;

  private TestNamespace(Rig rig, String name) {
    this.rig = rig;
    this.name = name;
  }

  static TestNamespace create(Rig rig, String testName) {
    String name = RigExtension.label(testName);
    rig.client()
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    return new TestNamespace(rig, name);
  }

  public String name() {
    return name;
  }

  void delete() {
    // Without a controller-manager nothing finalizes namespaces; delete what tests create, then
    // the namespace object itself.
    var c = rig.client();
    c.pods().inNamespace(name).delete();
    c.services().inNamespace(name).delete();
    c.discovery().v1().endpointSlices().inNamespace(name).delete();
    c.namespaces().withName(name).delete();
  }
}
