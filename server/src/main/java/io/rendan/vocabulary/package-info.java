/**
 * The words that MEs, EMCs and rounds share ({@link io.rendan.vocabulary.Side},
 * {@link io.rendan.vocabulary.Metric}, {@link io.rendan.vocabulary.Target}), so that
 * {@code me}, {@code emc} and {@code bidding} depend on this package instead of on each
 * other; {@link io.rendan.vocabulary.StoredVocabulary} maps them to their stored
 * protobuf form for every serializer, {@link io.rendan.vocabulary.Timestamps} converts
 * times; and what every aggregate is built on: the {@link io.rendan.vocabulary.BusinessClock}
 * and the {@link io.rendan.vocabulary.CborSerializable} marker. It depends on nothing of
 * the node.
 */
package io.rendan.vocabulary;
