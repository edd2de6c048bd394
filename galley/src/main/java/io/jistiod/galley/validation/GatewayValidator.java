package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.Gateway;
import io.jistiod.galley.api.networking.v1alpha3.Port;
import io.jistiod.galley.api.networking.v1alpha3.Server;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.config.Config;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Istio's rules for Gateway. */
final class GatewayValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    Gateway gw = config.spec(Gateway.class);
    Findings f = new Findings();
    if (!Labels.isDns1123Label(config.name())) {
      f.error(
          "metadata.name",
          "invalid gateway name \"" + config.name() + "\": it must be a DNS-1123 label (no dots)");
    }
    if (gw.getServersCount() == 0) {
      f.error("spec.servers", "a gateway needs at least one server");
    }
    for (int i = 0; i < gw.getServersCount(); i++) {
      Deadline.check();
      server(gw.getServers(i), "spec.servers[" + i + "]", f);
    }
    Set<String> portNames = new HashSet<>();
    for (int i = 0; i < gw.getServersCount(); i++) {
      Deadline.check();
      Server s = gw.getServers(i);
      if (!s.hasPort()) {
        continue;
      }
      if (!portNames.add(s.getPort().getName())) {
        f.error(
            "spec.servers[" + i + "].port.name",
            "port names of servers must be unique: \"" + s.getPort().getName() + "\" is repeated");
      }
      if (!Protocols.parse(s.getPort().getProtocol()).isHttp() && s.getTls().getHttpsRedirect()) {
        f.warning(
            "spec.servers[" + i + "].tls.httpsRedirect",
            "httpsRedirect only makes sense on HTTP servers");
      }
    }
    return f.messages();
  }

  private static void server(Server s, String path, Findings f) {
    if (s.getHostsCount() == 0) {
      f.error(path + ".hosts", "a server needs at least one host");
    }
    for (int i = 0; i < s.getHostsCount(); i++) {
      Deadline.check();
      f.errorIf(Findings.at(path + ".hosts", i), Hosts.namespacedHostProblem(s.getHosts(i), true));
    }
    int before = f.size();
    boolean portOk = port(s, path, f) && f.size() == before;
    bind(s, path, f);
    if (s.hasTls()) {
      ServerTls.check(s.getTls(), path + ".tls", f);
    }
    if (portOk) {
      Protocols p = Protocols.parse(s.getPort().getProtocol());
      if (p.isTls() && !s.hasTls()) {
        f.error(path + ".tls", "HTTPS and TLS servers need TLS settings");
      } else if (!p.isTls() && s.hasTls()) {
        ServerTLSSettings tls = s.getTls();
        if (p.isHttp()) {
          boolean passthrough =
              tls.getMode() == ServerTLSSettings.TLSmode.PASSTHROUGH
                  || tls.getMode() == ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH;
          if (!passthrough
              || !tls.getCaCertificates().isEmpty()
              || !tls.getPrivateKey().isEmpty()
              || !tls.getServerCertificate().isEmpty()) {
            f.error(
                path + ".tls",
                "a plain-text HTTP server can have no TLS settings other than httpsRedirect");
          }
        } else {
          f.error(path + ".tls", "only HTTPS and TLS servers can have TLS settings");
        }
      }
    }
  }

  /** Returns whether a port is present; findings about it go to {@code f}. */
  private static boolean port(Server s, String path, Findings f) {
    if (!s.hasPort()) {
      f.error(path + ".port", "a server needs a port");
      return false;
    }
    Port p = s.getPort();
    String pp = path + ".port";
    if (Protocols.parse(p.getProtocol()) == Protocols.UNSUPPORTED) {
      f.error(
          pp + ".protocol",
          "invalid protocol \""
              + p.getProtocol()
              + "\"; supported are HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, TCP, TLS, MONGO, REDIS,"
              + " MYSQL");
    }
    if (p.getNumber() != 0 || !s.getBind().startsWith(Common.UNIX_PREFIX)) {
      Ports.number(Integer.toUnsignedLong(p.getNumber()), pp + ".number", f);
    }
    if (p.getTargetPort() != 0) {
      f.error(pp + ".targetPort", "targetPort has no effect on gateways");
    }
    if (p.getName().isEmpty()) {
      f.error(pp + ".name", "a server port needs a name");
    }
    return true;
  }

  private static void bind(Server s, String path, Findings f) {
    String bind = s.getBind();
    if (bind.startsWith(Common.UNIX_PREFIX)) {
      f.errorIf(
          path + ".bind", Common.unixAddressProblem(bind.substring(Common.UNIX_PREFIX.length())));
      if (s.hasPort() && s.getPort().getNumber() != 0) {
        f.error(path + ".port.number", "the port number must be 0 for a unix domain socket bind");
      }
    } else if (!bind.isEmpty() && !Ips.isAddress(bind)) {
      f.error(path + ".bind", "\"" + bind + "\" is not a valid IP address");
    }
  }
}
