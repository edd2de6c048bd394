package io.jistiod.pilot.xds;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write side of one ADS stream, with gRPC flow control: a message is handed to gRPC only when
 * the stream is ready, so a proxy that stops reading gets at most one message buffered for it, and
 * a writer waits for readiness no longer than the send timeout (istiod's {@code
 * PILOT_XDS_SEND_TIMEOUT}).
 *
 * <p>Every write to the stream goes through this object, so the observer (not thread-safe) is never
 * called concurrently, and the stream is ended once at most.
 *
 * <p>Readiness is signalled by gRPC's on-ready handler. The wait also re-checks {@code isReady()}
 * at short intervals, because a writer on the stream's own gRPC thread (an answer to a request)
 * keeps that handler from running until it returns.
 */
final class StreamSender<R> {
  /** The outcome of {@link #send}. */
  enum Result {
    SENT,
    /** The stream stayed not ready for the whole timeout. */
    TIMED_OUT,
    /** The stream is over: ended here, cancelled by the client, or the write failed. */
    CLOSED
  }

  private static final Logger log = LoggerFactory.getLogger(StreamSender.class);

  private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  private final StreamObserver<R> out;
  private final ServerCallStreamObserver<R> call;
  private final SendBudget budget;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition readiness = lock.newCondition();
  private boolean ended;

  /** Bytes of the last response taken from the budget and not yet given back. */
  private long held;

  /**
   * Must be created inside the gRPC service method, before it returns: gRPC accepts the on-ready
   * handler only then.
   */
  StreamSender(StreamObserver<R> out) {
    this(out, null);
  }

  /**
   * @param budget bytes in flight shared with the other streams; null: unbounded
   */
  StreamSender(StreamObserver<R> out, SendBudget budget) {
    this.out = out;
    this.budget = budget;
    if (out instanceof ServerCallStreamObserver<R> serverCall) {
      this.call = serverCall;
      serverCall.setOnReadyHandler(this::wake);
    } else {
      this.call = null; // not a gRPC server stream (a test double): always ready
    }
  }

  /**
   * Waits until the stream can take a message, at most {@code timeoutNanos}, then writes it.
   * Writers are served one at a time.
   */
  Result send(R message, long timeoutNanos) {
    long deadline = System.nanoTime() + timeoutNanos;
    lock.lock();
    try {
      while (true) {
        if (ended || (call != null && call.isCancelled())) {
          return Result.CLOSED;
        }
        if (call == null || call.isReady()) {
          break;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return Result.TIMED_OUT;
        }
        readiness.awaitNanos(Math.min(left, RECHECK_NANOS));
      }
      releaseHeld(); // ready: the previous response has left gRPC's buffers
      if (budget != null && message instanceof com.google.protobuf.MessageLite m) {
        held = budget.acquire(m.getSerializedSize(), timeoutNanos);
      }
      try {
        out.onNext(message);
      } catch (OutOfMemoryError e) {
        // No direct memory for the response's buffers: end this stream (its client reconnects and
        // is answered afresh) rather than the push worker, and keep serving the others.
        log.warn("no memory to send a response ({}): ending the stream", e.getMessage());
        releaseHeld();
        ended = true;
        try {
          out.onError(
              Status.RESOURCE_EXHAUSTED
                  .withDescription("out of memory sending")
                  .asRuntimeException());
        } catch (RuntimeException ignored) {
          // already closed
        }
        return Result.CLOSED;
      }
      if (call == null || call.isReady()) {
        releaseHeld(); // small enough to be on its way already
      }
      return Result.SENT;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Result.CLOSED;
    } catch (RuntimeException e) {
      // The call was closed under us (cancelled, or already ended by gRPC).
      ended = true;
      releaseHeld();
      return Result.CLOSED;
    } finally {
      lock.unlock();
    }
  }

  /** Ends the stream with an error status, unless it has ended already. */
  void fail(Status status) {
    end(() -> out.onError(status.asRuntimeException()));
  }

  /** Ends the stream normally, unless it has ended already. */
  void complete() {
    end(out::onCompleted);
  }

  /**
   * Releases a writer waiting for readiness and refuses later writes, without ending the stream
   * (gRPC ends it: the client went away).
   */
  void abandon() {
    lock.lock();
    try {
      ended = true;
      releaseHeld();
      readiness.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private void end(Runnable terminal) {
    lock.lock();
    try {
      if (ended) {
        return;
      }
      ended = true;
      releaseHeld();
      readiness.signalAll();
      try {
        terminal.run();
      } catch (RuntimeException e) {
        // already closed by gRPC: nothing left to end
      }
    } finally {
      lock.unlock();
    }
  }

  private void wake() {
    lock.lock();
    try {
      if (call != null && call.isReady()) {
        releaseHeld();
      }
      readiness.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Gives the budget back what the last response took; the caller holds the lock. */
  private void releaseHeld() {
    if (budget != null && held > 0) {
      budget.release(held);
    }
    held = 0;
  }
}
