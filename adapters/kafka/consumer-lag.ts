// Where a consumer group stands on a topic (admin API): watermarks, committed offsets, members and assignments.
import { AssignerProtocol, type Kafka } from 'kafkajs';
import type { GroupReading, PartitionOffsets } from '../../core/freshness';

/**
 * Reads the clock, then the topic's watermarks, then the group's committed offsets — in this order, which is
 * what makes "committed ≥ watermarks read at T" mean "everything acknowledged before T was processed".
 */
export async function consumerLag(
  kafka: Kafka,
  groupId: string,
  topic: string,
  now: () => number,
): Promise<GroupReading> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const atMs = now();
    const offsets = await admin.fetchTopicOffsets(topic);
    const low: PartitionOffsets = {};
    const high: PartitionOffsets = {};
    for (const o of offsets) {
      low[o.partition] = Number(o.low);
      high[o.partition] = Number(o.high);
    }
    const [group] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed: PartitionOffsets = {};
    for (const p of group?.partitions ?? []) committed[p.partition] = Number(p.offset);
    return { atMs, low, high, committed };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface GroupMember {
  memberId: string;
  clientId: string;
  /** Partitions assigned to this member, by topic. */
  assignment: Record<string, number[]>;
}

/** The group's members and their partitions (empty while it rebalances or has no members). */
export async function groupMembers(kafka: Kafka, groupId: string): Promise<{ state: string; members: GroupMember[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const g = groups[0];
    if (!g) return { state: 'Dead', members: [] };
    return {
      state: g.state,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        assignment:
          m.memberAssignment.length > 0
            ? (AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {})
            : {},
      })),
    };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
