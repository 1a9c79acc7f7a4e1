// Plain description of one DRAM system (organisation, JEDEC timings in DRAM clock cycles, controller policy)
// filled in by Python (npusim_dram.spec) and handed to the C++ device model.
#pragma once
#include <cstdint>

namespace npusim {

struct DramSpec {
  // Organisation of one channel: pseudo-channels (HBM) x ranks x bank groups x banks x rows, and the
  // number of column accesses of req_bytes per row (page bytes / req_bytes).
  int64_t channels = 16, pcs = 2, ranks = 1, bankgroups = 4, banks = 4, rows = 65536, columns = 32;
  int64_t req_bytes = 32;   // bytes moved by one RD/WR column command
  int64_t tck_ps = 1000;    // DRAM command clock period
  // JEDEC timing constraints in tCK (names as in Ramulator 2 / JESD235, JESD79-4, JESD209-5).
  int64_t nBL = 2, nCL = 14, nCWL = 5, nRCDRD = 14, nRCDWR = 12, nRP = 14, nRAS = 34, nRC = 48, nWR = 16,
          nRTP = 5, nCCDS = 2, nCCDL = 4, nRRDS = 4, nRRDL = 4, nWTRS = 6, nWTRL = 8, nFAW = 15, nRTRS = 2,
          nRFC = 350, nRFCpb = 160, nREFI = 3900, nREFIpb = 122, nRREFD = 8;
  int64_t extra_latency = 0;  // fixed PHY/controller latency added to every completion, in tCK
  // Command-bus cycles of an ACT: 2 for HBM2 (JESD235: ACTIVATE is a two-cycle row command; Ramulator 2.1
  // hbm2.py command_cycles), else 1. JEDEC distances run between commands' last cycles, so an ACT's extra
  // cycles lengthen ACT -> RD/WR/PRE/REF and shorten PRE/REF/RDA/WRA -> ACT; ACT -> ACT is unchanged.
  int64_t act_cycles = 1;
  // Controller policy.
  int64_t scheduler = 0;      // 0 FR-FCFS, 1 FCFS
  int64_t row_policy = 0;     // 0 open row, 1 closed row (auto-precharge after the last queued hit)
  int64_t refresh = 0;        // 0 all-bank (REFab), 1 per-bank (REFpb), 2 none
  int64_t refresh_hold = 0;   // while a refresh is pending: 0 no new read/write-queue commands in the channel
                              // (Ramulator 2.1: the priority buffer holds back the buffers), 1 only its target banks
  int64_t mapping = 0;        // 0 RoBaRaCoCh, 1 ChRaBaRoCo, 2 MOP4CLXOR
  int64_t rq_size = 32, wq_size = 32;     // read / write queue depth per channel, in accesses
  // Write-drain watermarks, fractions of wq_size: draining starts when more than wr_high * wq_size writes are
  // queued and stops when fewer than wr_low * wq_size are (and reads wait); compared as Ramulator 2 does, in
  // float (controller_base.cpp set_write_mode), so 0.8 x 32 = 25.6 starts draining at 26 writes.
  double wr_high = 0.8, wr_low = 0.2;
  int64_t split_cmd_bus = 1;  // 1: separate row and column command buses (HBM), 0: one shared bus
  int64_t log_commands = 0;   // 1: keep a command log (for the independent timing checker)
  int64_t fast_path = 1;      // 0: run the common policy through the generic scheduler too (equivalence tests)
};

// Command codes used in the command log.
// kPREA: precharge all banks of a pseudo-channel/rank (JESD235 PREA / JESD79-4 PREA), issued before a REFab.
enum DramCmd : int64_t { kACT = 0, kPRE = 1, kRD = 2, kWR = 3, kRDA = 4, kWRA = 5, kREFab = 6, kREFpb = 7, kPREA = 8 };

}  // namespace npusim
