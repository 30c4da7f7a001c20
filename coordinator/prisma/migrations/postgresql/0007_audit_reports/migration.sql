-- CreateTable
CREATE TABLE "AuditReport" (
    "id" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "modelVersionId" TEXT NOT NULL,
    "policyHash" TEXT NOT NULL,
    "reportSha256" TEXT NOT NULL,
    "verdict" TEXT NOT NULL,
    "bodyJson" TEXT NOT NULL,
    "signature" TEXT NOT NULL,
    "publicKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditReport_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "AuditReport_modelVersionId_key" ON "AuditReport"("modelVersionId");

-- CreateIndex
CREATE INDEX "AuditReport_taskId_idx" ON "AuditReport"("taskId");

-- AddForeignKey
ALTER TABLE "AuditReport" ADD CONSTRAINT "AuditReport_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
