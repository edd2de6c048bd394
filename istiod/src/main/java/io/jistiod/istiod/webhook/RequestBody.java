package io.jistiod.istiod.webhook;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.io.Content;

/**
 * Reads a request body with a deadline that holds even when the client sends nothing: Jetty's
 * non-blocking reads, waiting for more content at most until the deadline. A blocking stream would
 * wait out the idle timeout instead.
 */
final class RequestBody {
  /** What was read, and whether the body ended before the deadline. */
  record Result(byte[] bytes, boolean complete, boolean tooLarge) {}

  private final Content.Source source;
  private final Semaphore more = new Semaphore(0);
  private final AtomicBoolean demanded = new AtomicBoolean();

  RequestBody(Content.Source source) {
    this.source = source;
  }

  /** Up to {@code max} bytes kept (past it: tooLarge, reading stops), until {@code deadline}. */
  Result read(int max, long deadline) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (true) {
      Content.Chunk chunk = next(deadline);
      if (chunk == null) {
        return new Result(out.toByteArray(), false, false);
      }
      try {
        ByteBuffer b = chunk.getByteBuffer();
        if (out.size() + b.remaining() > max) {
          return new Result(null, false, true);
        }
        byte[] copy = new byte[b.remaining()];
        b.get(copy);
        out.write(copy);
        if (chunk.isLast()) {
          return new Result(out.toByteArray(), true, false);
        }
      } finally {
        chunk.release();
      }
    }
  }

  /** Reads and drops up to {@code max} bytes until {@code deadline}; true if the body ended. */
  boolean drain(long max, long deadline) throws IOException {
    long left = max;
    while (left >= 0) {
      Content.Chunk chunk = next(deadline);
      if (chunk == null) {
        return false;
      }
      left -= chunk.remaining();
      boolean last = chunk.isLast();
      chunk.release();
      if (last) {
        return left >= 0;
      }
    }
    return false;
  }

  /** The next chunk, or null at the deadline; a failed read (client gone) throws. */
  private Content.Chunk next(long deadline) throws IOException {
    while (true) {
      Content.Chunk chunk = source.read();
      if (chunk != null) {
        if (Content.Chunk.isFailure(chunk)) {
          Throwable t = chunk.getFailure();
          throw t instanceof IOException io ? io : new IOException(t);
        }
        return chunk;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      if (demanded.compareAndSet(false, true)) {
        source.demand(
            () -> {
              demanded.set(false);
              more.release();
            });
      }
      try {
        if (!more.tryAcquire(left, TimeUnit.NANOSECONDS)) {
          return null;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while reading the request body", e);
      }
    }
  }
}
