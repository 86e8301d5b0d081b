import { decodeConsensusMessage, encodeConsensusMessage, type ConsensusMessage, type ProposalMessage, type VoteMessage } from '../../node-core/src/codec/consensus-messages.ts';
import type { SigningKey } from '../../node-core/src/crypto/ed25519.ts';
import { blockHash, proposalSignBytes, voteSignBytes } from '../../node-core/src/ledger/block.ts';
import { dataPaths, readNodeKey } from '../../node-core/src/node/data-dir.ts';
import { IngotNode, libp2pNetwork, type NetworkFactory } from '../../node-core/src/node/node.ts';
import type { PeerNetwork, Topic } from '../../node-core/src/p2p/network.ts';

/**
 * Test only: a validator that lies. Run as `node test/support/byzantine-node.ts DATA_DIR` with
 * INGOT_PASSPHRASE set, in place of `ingot start`; it runs the honest node on that data directory,
 * with a network that adds, for each consensus message the node sends:
 * - before each vote, a conflicting vote for the same height, round and type on another block,
 *   signed with the node key (an equivocation);
 * - before each proposal, a proposal for the same height and round of a block whose state root is
 *   wrong, properly signed (an invalid block the honest validators must refuse).
 * It prints "byzantine node running" on stdout once started, and a count of its lies on stopping.
 */

export const BYZANTINE_READY = 'byzantine node running';

const counts = { conflictingVotes: 0, invalidProposals: 0 };

/** The other block of an equivocation: derived from the real one, so re-sent copies are identical. */
function otherBlock(block: Uint8Array | null): Uint8Array {
  return block === null ? new Uint8Array(32).fill(0xee) : block.map((byte) => byte ^ 0xff);
}

function conflictingVote(message: VoteMessage, key: SigningKey): Uint8Array {
  const vote = { ...message.vote, block: otherBlock(message.vote.block) };
  counts.conflictingVotes += 1;
  return encodeConsensusMessage({ t: 'vote', vote, validator: key.publicKey, sig: key.sign(voteSignBytes(vote)) });
}

function invalidProposal(message: ProposalMessage, key: SigningKey): Uint8Array {
  const header = { ...message.block.header, stateRoot: message.block.header.stateRoot.map((byte) => byte ^ 0x5a) };
  const sig = key.sign(proposalSignBytes(header.chain, message.height, message.round, message.validRoundPlusOne, blockHash(header)));
  counts.invalidProposals += 1;
  return encodeConsensusMessage({ ...message, block: { ...message.block, header }, sig });
}

/** What goes out in place of one consensus message: the lie first, then the message. */
function withLies(bytes: Uint8Array, key: SigningKey): Uint8Array[] {
  let message: ConsensusMessage;
  try {
    message = decodeConsensusMessage(bytes);
  } catch {
    return [bytes];
  }
  // Only what this node signed itself: re-offered messages of other validators pass unchanged.
  if (message.t === 'vote') return Buffer.compare(message.validator, key.publicKey) === 0 ? [conflictingVote(message, key), bytes] : [bytes];
  return Buffer.compare(message.proposer, key.publicKey) === 0 ? [invalidProposal(message, key), bytes] : [bytes];
}

export function byzantineNetwork(inner: PeerNetwork, key: SigningKey): PeerNetwork {
  const out = (topic: Topic, bytes: Uint8Array, deliver: (bytes: Uint8Array) => void) => {
    for (const message of topic === 'consensus' ? withLies(bytes, key) : [bytes]) deliver(message);
  };
  return {
    peerId: inner.peerId,
    addresses: () => inner.addresses(),
    setMembers: (peerIds) => inner.setMembers(peerIds),
    peers: () => inner.peers(),
    broadcast: (topic, message) => out(topic, message, (bytes) => inner.broadcast(topic, bytes)),
    send: (peerId, topic, message) => out(topic, message, (bytes) => inner.send(peerId, topic, bytes)),
    onMessage: (handler) => inner.onMessage(handler),
    onPeer: (handler) => inner.onPeer(handler),
    request: (peerId, request, timeoutMs) => inner.request(peerId, request, timeoutMs),
    handleRequests: (handler) => inner.handleRequests(handler),
    telemetryRequest: (peerId, request, timeoutMs) => inner.telemetryRequest(peerId, request, timeoutMs),
    handleTelemetryRequests: (handler) => inner.handleTelemetryRequests(handler),
    accessRequest: (peerId, request, timeoutMs) => inner.accessRequest(peerId, request, timeoutMs),
    handleAccessRequests: (handler) => inner.handleAccessRequests(handler),
    setJoiners: (peerIds) => inner.setJoiners(peerIds),
    handleJoinRequests: (handler) => inner.handleJoinRequests(handler),
    joinRequest: (peerId, request, timeoutMs) => inner.joinRequest(peerId, request, timeoutMs),
    stop: () => inner.stop(),
  };
}

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  const passphrase = process.env.INGOT_PASSPHRASE;
  if (dataDir === undefined || passphrase === undefined) {
    console.error('usage: INGOT_PASSPHRASE=… node test/support/byzantine-node.ts DATA_DIR');
    process.exit(2);
  }
  const nodeKey = await readNodeKey(dataPaths(dataDir));
  const network: NetworkFactory = async (init) => byzantineNetwork(await libp2pNetwork(init), nodeKey.signing);
  const node = await IngotNode.start({ dataDir, passphrase, network });
  process.stdout.write(`${BYZANTINE_READY}: height ${node.ledger.head.height}, peer ${node.nodeKey.peerId}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await node.close();
  process.stdout.write(`byzantine node stopped: ${counts.conflictingVotes} conflicting votes, ${counts.invalidProposals} invalid proposals sent\n`);
}

if (import.meta.main) await main();
