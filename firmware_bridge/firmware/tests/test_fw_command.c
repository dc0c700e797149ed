#include <string.h>

#include "fw_bytes.h"
#include "fw_command.h"
#include "fw_test.h"

/* A TC data field with the given opcode and args (MAC bytes left zero: not checked here). */
static size_t make_tc(uint8_t *d, uint8_t robot_id, uint16_t opcode, const uint8_t *args,
                      size_t args_len)
{
    memset(d, 0, 64);
    d[0] = 1;
    d[1] = robot_id;
    fw_put_u32(d + 2, 7);
    fw_put_u16(d + 6, opcode);
    memcpy(d + 8, args, args_len);
    return 24u + args_len;
}

static fw_check_result check(uint8_t robot_id, uint16_t opcode, const uint8_t *args,
                             size_t args_len, uint8_t partner)
{
    uint8_t data[64];
    fw_tc tc;
    const size_t n = make_tc(data, robot_id, opcode, args, args_len);
    fw_tc_split(data, n, &tc);
    return fw_command_check(&tc, ROVER_MCU_ROBOT_ROVER_R1, partner);
}

static void drive_args(uint8_t *a, float left, float right, uint32_t duration)
{
    fw_put_f32(a, left);
    fw_put_f32(a + 4, right);
    fw_put_u32(a + 8, duration);
}

static void split_needs_fixed_part(void)
{
    uint8_t data[64] = {0};
    fw_tc tc;
    CHECK(!fw_tc_split(data, 23, &tc));
    make_tc(data, 2, 0x0010, data, 0);
    CHECK(fw_tc_split(data, 24, &tc));
    CHECK_EQ_U(tc.key_id, 1);
    CHECK_EQ_U(tc.robot_id, 2);
    CHECK_EQ_U(tc.seq, 7);
    CHECK_EQ_U(tc.opcode, 0x0010);
    CHECK_EQ_U(tc.args_len, 0);
}

static void checks_in_protocol_order(void)
{
    uint8_t a[12];
    drive_args(a, 0.6f, 0.0f, 0);
    /* wrong target beats everything after it */
    fw_check_result r = check(3, 0x9999, a, 12, ROVER_MCU_PARTNER_SUPARCO);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_WRONG_TARGET);
    CHECK_EQ_U(r.detail, 3);
    r = check(1, 0x9999, a, 12, ROVER_MCU_PARTNER_CNSA);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_UNKNOWN_OPCODE);
    /* SUPARCO may not DRIVE rover_r1, even with bad arguments */
    r = check(1, ROVER_MCU_OP_DRIVE, a, 3, ROVER_MCU_PARTNER_SUPARCO);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_NOT_AUTHORIZED);
    r = check(1, ROVER_MCU_OP_DRIVE, a, 3, ROVER_MCU_PARTNER_CNSA);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_BAD_LENGTH);
    CHECK_EQ_U(r.detail, 36);
    r = check(1, ROVER_MCU_OP_DRIVE, a, 12, ROVER_MCU_PARTNER_CNSA);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_ARG_OUT_OF_RANGE);
    CHECK_EQ_U(r.detail, 0);
    r = check(1, ROVER_MCU_OP_NOOP, a, 0, ROVER_MCU_PARTNER_SUPARCO);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_EXECUTED);
    r = check(1, ROVER_MCU_OP_NOOP, a, 1, ROVER_MCU_PARTNER_SUPARCO);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_BAD_LENGTH);
    CHECK_EQ_U(r.detail, 24);
    /* ROSCOSMOS may command rover_r2 and the scout, not rover_r1; NARIT only the scout */
    r = check(1, ROVER_MCU_OP_NOOP, a, 0, ROVER_MCU_PARTNER_ROSCOSMOS);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_NOT_AUTHORIZED);
    r = check(1, ROVER_MCU_OP_NOOP, a, 0, ROVER_MCU_PARTNER_NARIT);
    CHECK_EQ_U(r.status, ROVER_MCU_ACK_STATUS_NOT_AUTHORIZED);
}

static void drive_ranges(void)
{
    uint8_t a[12];
    const struct {
        float left;
        float right;
        uint32_t duration;
        int bad;
    } cases[] = {
        {0.5f, -0.5f, 600000, -1}, {-0.5f, 0.5f, 0, -1},     {0.5000001f, 0.0f, 1, 0},
        {0.0f, -0.5000001f, 1, 1}, {0.0f, 0.0f, 600001, 2},   {1e30f, 1e30f, 700000, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        drive_args(a, cases[i].left, cases[i].right, cases[i].duration);
        CHECK(fw_command_first_bad_arg(ROVER_MCU_CMD_DRIVE_INDEX, a) == cases[i].bad);
    }
    /* NaN and infinities are out of range */
    const uint32_t nan_bits = 0x7FC00000u;
    const uint32_t inf_bits = 0x7F800000u;
    drive_args(a, 0.0f, 0.0f, 5);
    fw_put_u32(a + 4, nan_bits);
    CHECK(fw_command_first_bad_arg(ROVER_MCU_CMD_DRIVE_INDEX, a) == 1);
    fw_put_u32(a, inf_bits | 0x80000000u);
    CHECK(fw_command_first_bad_arg(ROVER_MCU_CMD_DRIVE_INDEX, a) == 0);
}

static void enum_bool_and_u16_ranges(void)
{
    uint8_t a[2] = {3, 1};
    CHECK(fw_command_first_bad_arg(ROVER_MCU_CMD_SET_POWER_INDEX, a) == -1);
    a[0] = 4;
    CHECK(fw_command_first_bad_arg(ROVER_MCU_CMD_SET_POWER_INDEX, a) == 0);
    a[0] = 0;
    a[1] = 2;
    CHECK(fw_command_first_bad_arg(ROVER_MCU_CMD_SET_POWER_INDEX, a) == 1);
    const struct {
        uint16_t period;
        int bad;
    } periods[] = {{99, 0}, {100, -1}, {60000, -1}, {60001, 0}, {0, 0}, {0xFFFF, 0}};
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; ++i) {
        fw_put_u16(a, periods[i].period);
        CHECK(fw_command_first_bad_arg(ROVER_MCU_CMD_SET_HK_PERIOD_INDEX, a) == periods[i].bad);
    }
}

const fw_test_case command_cases[] = {
    {"command/split_needs_fixed_part", split_needs_fixed_part},
    {"command/checks_in_protocol_order", checks_in_protocol_order},
    {"command/drive_ranges", drive_ranges},
    {"command/enum_bool_and_u16_ranges", enum_bool_and_u16_ranges},
};
const size_t command_count = sizeof command_cases / sizeof command_cases[0];
