/**
 * What several features share, and no user should call: the one place that reads time, the
 * setting parsers (one per type, one error style), hashing, the library's key spaces, glob
 * matching and throttled logging.
 *
 * <p><b>Not API.</b> Public only so that the feature packages can use it; it may change in any
 * release without notice, and it is left out of the Javadoc.
 */
package dev.ratecache.internal;
