/**
 * The allocator module's public surface: the `Allocator` contract, Mesos's hierarchical DRF
 * allocator, and the loop that runs an allocator on a clock. Everything else in this folder is an
 * implementation detail.
 */
export type {
  AgentDescriptor,
  Allocation,
  AllocationCycleStats,
  Allocator,
  AllocatorOptions,
  AllocatorShares,
  FrameworkDescriptor,
  Quantities,
  Quota,
  UsedResources,
} from './allocator.js';
export { HierarchicalAllocator } from './hierarchical-allocator.js';
export {
  AllocationLoop,
  type AllocationLoopOptions,
  type AllocationRunStats,
  type AllocationsCallback,
  DEFAULT_ALLOCATION_INTERVAL_MS,
} from './allocation-loop.js';
