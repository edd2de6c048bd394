package io.jistiod.it.support;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A plain gRPC server on 127.0.0.1 that answers every call with its own name, so a test can count
 * which backend each RPC reached. Two methods, so routes can match on the path.
 */
public final class WhoAmIServer implements AutoCloseable {
  public static final String SERVICE = "jistiod.test.WhoAmI";
  public static final MethodDescriptor<String, String> WHO = method("Who");
  public static final MethodDescriptor<String, String> WHO_AGAIN = method("WhoAgain");

  private final Server server;

  public WhoAmIServer(String name, int port) throws IOException {
    this(name, "127.0.0.1", port);
  }

  /** Serves on {@code host:port}; tests use loopback or a network namespace they created. */
  public WhoAmIServer(String name, String host, int port) throws IOException {
    ServerServiceDefinition service =
        ServerServiceDefinition.builder(SERVICE)
            .addMethod(
                WHO,
                ServerCalls.asyncUnaryCall(
                    (req, out) -> {
                      out.onNext(name);
                      out.onCompleted();
                    }))
            .addMethod(
                WHO_AGAIN,
                ServerCalls.asyncUnaryCall(
                    (req, out) -> {
                      out.onNext(name);
                      out.onCompleted();
                    }))
            .build();
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
            .addService(service)
            .build()
            .start();
  }

  public int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private static MethodDescriptor<String, String> method(String name) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(StringMarshaller.INSTANCE)
        .setResponseMarshaller(StringMarshaller.INSTANCE)
        .build();
  }

  private enum StringMarshaller implements MethodDescriptor.Marshaller<String> {
    INSTANCE;

    @Override
    public InputStream stream(String value) {
      return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String parse(InputStream stream) {
      try {
        return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
