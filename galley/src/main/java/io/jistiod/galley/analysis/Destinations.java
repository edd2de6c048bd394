package io.jistiod.galley.analysis;

import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRoute;
import io.jistiod.galley.api.networking.v1alpha3.VirtualService;
import java.util.ArrayList;
import java.util.List;

/** Every destination a VirtualService sends traffic to, with its field path. */
final class Destinations {
  private Destinations() {}

  record At(String field, Destination destination) {}

  static List<At> of(VirtualService vs) {
    List<At> out = new ArrayList<>();
    for (int i = 0; i < vs.getHttpCount(); i++) {
      HTTPRoute http = vs.getHttp(i);
      String rule = "spec.http[" + i + "]";
      for (int j = 0; j < http.getRouteCount(); j++) {
        out.add(new At(rule + ".route[" + j + "].destination", http.getRoute(j).getDestination()));
      }
      if (http.hasMirror()) {
        out.add(new At(rule + ".mirror", http.getMirror()));
      }
      for (int j = 0; j < http.getMirrorsCount(); j++) {
        out.add(
            new At(rule + ".mirrors[" + j + "].destination", http.getMirrors(j).getDestination()));
      }
    }
    for (int i = 0; i < vs.getTcpCount(); i++) {
      for (int j = 0; j < vs.getTcp(i).getRouteCount(); j++) {
        out.add(
            new At(
                "spec.tcp[" + i + "].route[" + j + "].destination",
                vs.getTcp(i).getRoute(j).getDestination()));
      }
    }
    for (int i = 0; i < vs.getTlsCount(); i++) {
      for (int j = 0; j < vs.getTls(i).getRouteCount(); j++) {
        out.add(
            new At(
                "spec.tls[" + i + "].route[" + j + "].destination",
                vs.getTls(i).getRoute(j).getDestination()));
      }
    }
    return out;
  }
}
