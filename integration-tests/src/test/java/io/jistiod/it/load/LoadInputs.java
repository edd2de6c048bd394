package io.jistiod.it.load;

import java.util.ArrayList;
import java.util.List;

/**
 * The comparison's inputs on the rig, as YAML documents: S Services with an EndpointSlice each
 * (three endpoints; ports http 8080 and grpc 7070) spread over namespaces of a hundred services,
 * every namespace labelled for the servers' discoverySelectors, and for every tenth service a
 * VirtualService (90/10 between it and the next service) and a DestinationRule (a TCP connection
 * pool). Service 0's objects are the ones the changes edit; service S is the one a change adds.
 * Every object carries the run's label so that the run can remove exactly what it made.
 */
final class LoadInputs {
  static final int HTTP_PORT = 8080;
  static final int GRPC_PORT = 7070;
  static final String SCENARIO_LABEL = "jistiod.io/scenario";
  static final String RUN_LABEL = "jistiod.io/load";
  static final int BASE_WEIGHT = 90;
  static final int CHANGED_WEIGHT = 50;
  static final int BASE_MAX_CONNECTIONS = 100;
  static final int CHANGED_MAX_CONNECTIONS = 200;

  final String run;
  final int services;
  final int namespaces;

  LoadInputs(String run, int services) {
    if (services < 2) {
      throw new IllegalArgumentException("SERVICES " + services + ": at least 2");
    }
    this.run = run;
    this.services = services;
    this.namespaces = Math.max(1, (services + 99) / 100);
  }

  String namespace(int k) {
    return run + "-" + k;
  }

  String namespaceOf(int service) {
    return namespace(service % namespaces);
  }

  String host(int service) {
    return "svc-" + service + "." + namespaceOf(service) + ".svc.cluster.local";
  }

  static String cluster(int port, String host) {
    return "outbound|" + port + "||" + host;
  }

  /** The address of endpoint {@code e} of service {@code i} (not loopback: slices refuse it). */
  static String address(int i, int e) {
    return "10." + (e + 1) + "." + (i / 250) + "." + (i % 250 + 1);
  }

  /** The address the endpoint scale-up adds to service 0. */
  static String addedAddress() {
    return "10.9.0.1";
  }

  List<String> namespaceDocs() {
    List<String> out = new ArrayList<>();
    for (int k = 0; k < namespaces; k++) {
      out.add(
          """
          apiVersion: v1
          kind: Namespace
          metadata:
            name: %s
            labels: {%s: "%s", %s: "%s"}
          """
              .formatted(namespace(k), SCENARIO_LABEL, run, RUN_LABEL, run));
    }
    return out;
  }

  /** Everything but the namespaces, in the state before any change. */
  List<String> baseDocs() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < services; i++) {
      out.add(service(i));
      out.add(endpointSlice(i, false));
      if (i % 10 == 0) {
        out.add(virtualService(i, BASE_WEIGHT));
        out.add(destinationRule(i, BASE_MAX_CONNECTIONS));
      }
    }
    return out;
  }

  String service(int i) {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: svc-%1$d
          namespace: %2$s
          labels: {app: svc-%1$d, %3$s: "%4$s"}
        spec:
          selector: {app: svc-%1$d}
          ports:
          - {name: http, port: %5$d, targetPort: %5$d}
          - {name: grpc, port: %6$d, targetPort: %6$d}
        """
        .formatted(i, namespaceOf(i), RUN_LABEL, run, HTTP_PORT, GRPC_PORT);
  }

  String endpointSlice(int i, boolean scaledUp) {
    StringBuilder eps = new StringBuilder();
    for (int e = 0; e < 3; e++) {
      eps.append("- {addresses: [\"")
          .append(address(i, e))
          .append("\"], conditions: {ready: true}}\n");
    }
    if (scaledUp) {
      eps.append("- {addresses: [\"")
          .append(addedAddress())
          .append("\"], conditions: {ready: true}}\n");
    }
    return """
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: svc-%1$d-1
          namespace: %2$s
          labels: {kubernetes.io/service-name: svc-%1$d, %3$s: "%4$s"}
        addressType: IPv4
        ports:
        - {name: http, port: %5$d, protocol: TCP}
        - {name: grpc, port: %6$d, protocol: TCP}
        endpoints:
        %7$s"""
        .formatted(i, namespaceOf(i), RUN_LABEL, run, HTTP_PORT, GRPC_PORT, eps);
  }

  String virtualService(int i, int weight) {
    int next = (i + 1) % services;
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata:
          name: svc-%1$d
          namespace: %2$s
          labels: {%3$s: "%4$s"}
        spec:
          hosts: [%5$s]
          http:
          - route:
            - {destination: {host: %5$s}, weight: %6$d}
            - {destination: {host: %7$s}, weight: %8$d}
        """
        .formatted(i, namespaceOf(i), RUN_LABEL, run, host(i), weight, host(next), 100 - weight);
  }

  String destinationRule(int i, int maxConnections) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata:
          name: svc-%1$d
          namespace: %2$s
          labels: {%3$s: "%4$s"}
        spec:
          host: %5$s
          trafficPolicy:
            connectionPool:
              tcp: {maxConnections: %6$d}
        """
        .formatted(i, namespaceOf(i), RUN_LABEL, run, host(i), maxConnections);
  }
}
