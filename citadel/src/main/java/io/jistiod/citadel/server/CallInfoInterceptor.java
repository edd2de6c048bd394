package io.jistiod.citadel.server;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Puts each call's headers and transport security into the gRPC context, where authenticators read
 * them: service methods only see the request message.
 */
public final class CallInfoInterceptor implements ServerInterceptor {
  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Attributes attributes = call.getAttributes();
    CallInfo info =
        new CallInfo(
            headers,
            attributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION),
            attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
    Context context = Context.current().withValue(CallInfo.CONTEXT_KEY, info);
    return Contexts.interceptCall(context, call, headers, next);
  }
}
