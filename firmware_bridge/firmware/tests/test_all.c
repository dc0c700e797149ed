#include "test_all.h"

FW_TEST_SUITE(crc16);
FW_TEST_SUITE(sha256);
FW_TEST_SUITE(hmac);
FW_TEST_SUITE(deframer);
FW_TEST_SUITE(space_packet);
FW_TEST_SUITE(replay);
FW_TEST_SUITE(keyfile);
FW_TEST_SUITE(auth);
FW_TEST_SUITE(command);
FW_TEST_SUITE(models);
FW_TEST_SUITE(rover);

typedef struct {
    const fw_test_case *cases;
    const size_t *count;
} suite;

static const suite k_suites[] = {
    {crc16_cases, &crc16_count},
    {sha256_cases, &sha256_count},
    {hmac_cases, &hmac_count},
    {deframer_cases, &deframer_count},
    {space_packet_cases, &space_packet_count},
    {replay_cases, &replay_count},
    {keyfile_cases, &keyfile_count},
    {auth_cases, &auth_count},
    {command_cases, &command_count},
    {models_cases, &models_count},
    {rover_cases, &rover_count},
};

unsigned fw_test_all(void)
{
    unsigned total = 0;
    unsigned failed = 0;
    for (size_t i = 0; i < sizeof k_suites / sizeof k_suites[0]; ++i) {
        failed += fw_test_run(k_suites[i].cases, *k_suites[i].count);
        total += (unsigned)*k_suites[i].count;
    }
    fw_test_put_u32(total - failed);
    fw_test_puts(" passed, ");
    fw_test_put_u32(failed);
    fw_test_puts(" failed\n");
    return failed;
}
