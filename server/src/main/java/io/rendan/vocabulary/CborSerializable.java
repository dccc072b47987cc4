package io.rendan.vocabulary;

/**
 * Marker for messages that cross nodes inside the cluster (commands to sharded
 * entities and their replies). Bound to Pekko's Jackson CBOR serializer in
 * application.conf. Stored events and snapshots never use it: they are protobuf
 * with permanent manifests.
 */
public interface CborSerializable {}
