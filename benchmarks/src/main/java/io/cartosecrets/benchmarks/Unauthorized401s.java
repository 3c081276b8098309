package io.cartosecrets.benchmarks;

import java.io.IOException;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.Interceptor;
import okhttp3.Response;

/** A network interceptor that counts 401 answers: each one is a request the client had to retry. */
final class Unauthorized401s implements Interceptor {
  private final LongAdder count = new LongAdder();

  long count() {
    return count.sum();
  }

  @Override
  public Response intercept(Chain chain) throws IOException {
    Response response = chain.proceed(chain.request());
    if (response.code() == 401) {
      count.increment();
    }
    return response;
  }
}
