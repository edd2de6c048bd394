package io.jistiod.galley.config;

import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.ServiceEntry;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import io.jistiod.galley.api.networking.v1alpha3.WorkloadEntry;
import java.util.List;

/** The Istio config kinds istiod understands, with the API versions Istio serves for each. */
public final class IstioKinds {
  private static final String NETWORKING = "networking.istio.io";
  private static final List<String> NETWORKING_VERSIONS = List.of("v1", "v1beta1", "v1alpha3");

  public static final ConfigKind VIRTUAL_SERVICE =
      new ConfigKind(
          NETWORKING,
          "VirtualService",
          "virtualservices",
          NETWORKING_VERSIONS,
          VirtualService.getDefaultInstance());
  public static final ConfigKind DESTINATION_RULE =
      new ConfigKind(
          NETWORKING,
          "DestinationRule",
          "destinationrules",
          NETWORKING_VERSIONS,
          DestinationRule.getDefaultInstance());
  public static final ConfigKind SERVICE_ENTRY =
      new ConfigKind(
          NETWORKING,
          "ServiceEntry",
          "serviceentries",
          NETWORKING_VERSIONS,
          ServiceEntry.getDefaultInstance());
  public static final ConfigKind WORKLOAD_ENTRY =
      new ConfigKind(
          NETWORKING,
          "WorkloadEntry",
          "workloadentries",
          NETWORKING_VERSIONS,
          WorkloadEntry.getDefaultInstance());

  /** Every kind, in a stable order. */
  public static final List<ConfigKind> ALL =
      List.of(VIRTUAL_SERVICE, DESTINATION_RULE, SERVICE_ENTRY, WORKLOAD_ENTRY);

  private IstioKinds() {}
}
