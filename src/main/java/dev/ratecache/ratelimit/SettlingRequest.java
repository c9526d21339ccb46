package dev.ratecache.ratelimit;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The request {@link RateLimitFilter} passes on under a profile that settles ({@code
 * count=failures}, a cost on a hit): it settles the request's decisions with its answer exactly
 * once, and before the client can see that answer.
 *
 * <ul>
 *   <li>A synchronous request is settled when the chain returns ({@link #settleIfSynchronous}).
 *   <li>An asynchronous one is settled when the application calls {@link AsyncContext#complete}
 *       (with the status it set), before the container completes the response; so a client that
 *       got a success and asks again at once finds its token back. The listener is added when
 *       the request goes asynchronous, not after the chain returns, which would miss an async
 *       request completed on another thread before that.
 *   <li>Completion by the container (after a dispatch), a timeout or an error settle through
 *       that listener: the status then, a failure (500) for the last two.
 * </ul>
 */
final class SettlingRequest extends HttpServletRequestWrapper {
  private final RateLimiter limiter;
  private final HttpServletResponse response;
  private final AtomicBoolean settled = new AtomicBoolean();
  private volatile Async async;

  SettlingRequest(HttpServletRequest request, HttpServletResponse response, RateLimiter limiter) {
    super(request);
    this.response = response;
    this.limiter = limiter;
  }

  /** Settles now unless the request went asynchronous (then it settles when it completes). */
  void settleIfSynchronous() {
    if (async != null) {
      return;
    }
    if (super.isAsyncStarted()) { // started on the unwrapped request: listen, late but once
      watch(super.getAsyncContext());
      return;
    }
    settle(response.getStatus());
  }

  /** Settles as a failure: the chain threw. */
  void settleAsFailure() {
    settle(500);
  }

  private void settle(int status) {
    if (settled.compareAndSet(false, true)) {
      limiter.settleRequest(getRequest()::getAttribute, getRequest()::setAttribute, status);
    }
  }

  @Override
  public AsyncContext startAsync() {
    return watch(super.startAsync());
  }

  @Override
  public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
    return watch(super.startAsync(request, response));
  }

  @Override
  public AsyncContext getAsyncContext() {
    Async a = async;
    AsyncContext context = super.getAsyncContext();
    return a != null && a.delegate == context ? a : context;
  }

  private AsyncContext watch(AsyncContext context) {
    Async a = async;
    if (a != null && a.delegate == context) {
      return a; // a restarted cycle on the same context: the listener came along
    }
    a = new Async(context);
    context.addListener(a.listener);
    async = a;
    return a;
  }

  /** The application's async context, settling on {@link #complete} before completing. */
  private final class Async implements AsyncContext {
    final AsyncContext delegate;
    final AsyncListener listener = new AsyncListener() {
      @Override
      public void onComplete(AsyncEvent event) {
        settle(response.getStatus());
      }

      @Override
      public void onTimeout(AsyncEvent event) {
        settle(500);
      }

      @Override
      public void onError(AsyncEvent event) {
        settle(500);
      }

      @Override
      public void onStartAsync(AsyncEvent event) {
        event.getAsyncContext().addListener(this); // a restarted cycle: listen again
      }
    };

    Async(AsyncContext delegate) {
      this.delegate = delegate;
    }

    @Override
    public void complete() {
      settle(response.getStatus());
      delegate.complete();
    }

    @Override
    public ServletRequest getRequest() {
      return delegate.getRequest();
    }

    @Override
    public ServletResponse getResponse() {
      return delegate.getResponse();
    }

    @Override
    public boolean hasOriginalRequestAndResponse() {
      return delegate.hasOriginalRequestAndResponse();
    }

    @Override
    public void dispatch() {
      delegate.dispatch();
    }

    @Override
    public void dispatch(String path) {
      delegate.dispatch(path);
    }

    @Override
    public void dispatch(ServletContext context, String path) {
      delegate.dispatch(context, path);
    }

    @Override
    public void start(Runnable run) {
      delegate.start(run);
    }

    @Override
    public void addListener(AsyncListener l) {
      delegate.addListener(l);
    }

    @Override
    public void addListener(AsyncListener l, ServletRequest request, ServletResponse response) {
      delegate.addListener(l, request, response);
    }

    @Override
    public <T extends AsyncListener> T createListener(Class<T> type)
        throws jakarta.servlet.ServletException {
      return delegate.createListener(type);
    }

    @Override
    public void setTimeout(long timeout) {
      delegate.setTimeout(timeout);
    }

    @Override
    public long getTimeout() {
      return delegate.getTimeout();
    }
  }
}
